// Checks that an endpoint's upload initiation works end to end: POST /v1/uploads, then PUT the bytes
// to the presigned URL with the headers it listed; the object store must accept them (200).
// usage: node smoke.js BASE_URL TOKEN
const [base, token] = process.argv.slice(2);
const bytes = Buffer.from('hello, bench\n');
const r = await fetch(`${base}/v1/uploads`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
  body: JSON.stringify({ filename: 'smoke test.txt', size: bytes.length, contentType: 'text/plain' }),
});
const body = await r.json();
if (r.status !== 201) {
  console.error(`${base}: POST /v1/uploads answered ${r.status}: ${JSON.stringify(body)}`);
  process.exit(1);
}
const put = await fetch(body.upload.url, { method: body.upload.method, headers: body.upload.headers, body: bytes });
if (put.status !== 200) {
  console.error(`${base}: presigned PUT answered ${put.status}: ${await put.text()}`);
  process.exit(1);
}
console.log(`${base}: initiate 201, presigned PUT 200 (signed headers: ${Object.keys(body.upload.headers).join(', ')})`);
