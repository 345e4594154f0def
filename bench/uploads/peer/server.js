// The comparison peer of bench/uploads: a minimal Node/Express upload-initiation endpoint, the stack
// the product brief starts from. POST /v1/uploads does what Stowage's UploadService.initiate does for
// a single PUT: HS256 JWT, filename / size / type checks, one transaction (ensure account, conditional
// quota reservation, files row, upload_sessions row), then a presigned PutObject URL with the same
// signed headers (Content-Type, Content-Length, x-amz-meta-*).
//
// Configuration (environment):
//   PEER_PORT        listen port (default 8081), on 127.0.0.1
//   PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD   the database (node-postgres reads these itself)
//   POOL_SIZE        pg pool size (default 10, Stowage's database.max_pool_size default); with
//                    PEER_WORKERS > 1 it is split between the workers, so the total stays the same
//   PEER_WORKERS     processes (default 1: one Node process, the minimal setup); > 1 forks that many
//                    node:cluster workers sharing the port
//   S3_ENDPOINT      e.g. http://127.0.0.1:9000 (path-style)
//   S3_ACCESS_KEY S3_SECRET_KEY   S3 credentials
//   S3_REGION        signing region (default us-east-1)
//   BUCKET_RAW       raw bucket (default uploads-raw)
//   JWT_SECRET       the HS256 secret, used as its UTF-8 bytes (as Stowage does)

import express from 'express';
import pg from 'pg';
import { jwtVerify } from 'jose';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { randomBytes, randomUUID } from 'node:crypto';
import cluster from 'node:cluster';

const env = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (def === undefined) throw new Error(`${name} is not set`);
    return def;
  }
  return v;
};

// Stowage's defaults (StowageConfig.Uploads.DEFAULT)
const MAX_SIZE = 50_000_000;
const MULTIPART_THRESHOLD = 10_000_000;
const URL_TTL_SECONDS = 900;
const QUOTAS = { free: 1 << 30, pro: 50 * 2 ** 30, premium: 100 * 2 ** 30 };
const quotaFor = (plan) => QUOTAS[plan] ?? QUOTAS.free;

const ALLOWED = [
  'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic', 'image/avif', 'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text', 'application/vnd.oasis.opendocument.spreadsheet',
  'text/plain', 'text/csv',
];
const ALLOWED_SET = new Set(ALLOWED);
const ALIASES = { 'image/heif': 'image/heic' };

const BUCKET = env('BUCKET_RAW', 'uploads-raw');
const JWT_KEY = new TextEncoder().encode(env('JWT_SECRET'));
const USER_ID = /^[A-Za-z0-9._-]{1,128}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

const WORKERS = Number(env('PEER_WORKERS', '1'));
if (WORKERS > 1 && cluster.isPrimary) {
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  const stopAll = () => { for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM'); };
  process.on('SIGTERM', stopAll);
  process.on('SIGINT', stopAll);
  cluster.on('exit', () => { if (Object.keys(cluster.workers).length === 0) process.exit(0); });
  await new Promise(() => {}); // the primary only supervises
}

// idle connections are kept, as HikariCP keeps Stowage's (minimumIdle = maximumPoolSize)
const pool = new pg.Pool({ max: Math.ceil(Number(env('POOL_SIZE', '10')) / WORKERS), idleTimeoutMillis: 0 });

const s3 = new S3Client({
  region: env('S3_REGION', 'us-east-1'),
  endpoint: env('S3_ENDPOINT'),
  forcePathStyle: true,
  credentials: { accessKeyId: env('S3_ACCESS_KEY'), secretAccessKey: env('S3_SECRET_KEY') },
  // as Stowage does for every provider but AWS: no default CRC32 checksums
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

class Problem extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

// --- filename: the same rules as Stowage's FilenameSanitizer, in short ---------------------------
const MAX_ORIGINAL_BYTES = 512;
const MAX_SAFE_NAME_BYTES = 200;
const utf8 = (s) => Buffer.byteLength(s, 'utf8');

function sanitize(original) {
  if (typeof original !== 'string' || original.length === 0) throw new Problem(400, 'invalid_filename', 'filename is empty');
  if (original.includes('\0')) throw new Problem(400, 'invalid_filename', 'filename contains a NUL character');
  if (!original.isWellFormed()) throw new Problem(400, 'invalid_filename', 'filename is not well-formed Unicode');
  if (utf8(original) > MAX_ORIGINAL_BYTES) {
    throw new Problem(400, 'invalid_filename', `filename is longer than ${MAX_ORIGINAL_BYTES} bytes in UTF-8`);
  }
  let cleaned = '';
  for (const ch of original) {
    if (ch === '/' || ch === '\\') cleaned += '_';
    else if (/^[\s\u0085]$/u.test(ch)) cleaned += ' ';
    else if (/^\p{Cc}$/u.test(ch)) continue;
    else if (/^\p{Cf}$/u.test(ch) && ch !== '\u200c' && ch !== '\u200d') continue;
    else cleaned += ch;
  }
  let name = cleaned.normalize('NFC').replace(/ +/g, ' ').replace(/^[ .\u200c\u200d]+|[ .\u200c\u200d]+$/g, '');
  if (name.length === 0) throw new Problem(400, 'invalid_filename', 'filename has no usable characters');
  if (utf8(name) > MAX_SAFE_NAME_BYTES) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && [...name.slice(dot + 1)].length <= 16 && !name.slice(dot + 1).includes(' ') ? name.slice(dot) : '';
    let stem = '';
    for (const cp of name.slice(0, name.length - ext.length)) {
      if (utf8(stem + cp) > MAX_SAFE_NAME_BYTES - utf8(ext)) break;
      stem += cp;
    }
    name = stem.replace(/[ .\u200c\u200d]+$/g, '') + ext;
  }
  return name;
}

// RFC 3986 percent-encoding of the UTF-8 bytes, unreserved characters kept (FilenameSanitizer.metadataValue)
const metadataValue = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

// a version 7 UUID (RFC 9562), as ObjectKeys.newFileId
function uuidv7() {
  const b = randomBytes(16);
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(40 - 8 * i)) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function authenticate(header) {
  if (!header || !/^Bearer /i.test(header)) throw new Problem(401, 'unauthenticated', 'missing bearer token (Authorization: Bearer <jwt>)');
  let payload;
  try {
    ({ payload } = await jwtVerify(header.slice(7).trim(), JWT_KEY, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] }));
  } catch (e) {
    throw new Problem(401, 'unauthenticated', 'token refused: ' + e.message);
  }
  if (typeof payload.sub !== 'string' || !USER_ID.test(payload.sub) || payload.sub === '.' || payload.sub === '..') {
    throw new Problem(401, 'unauthenticated', 'token subject must be 1-128 characters of A-Z a-z 0-9 . _ -');
  }
  const plan = typeof payload.plan === 'string' && payload.plan.trim() !== '' ? payload.plan : 'free';
  return { userId: payload.sub, plan };
}

const FIELDS = new Set(['filename', 'size', 'contentType', 'sha256']);

async function initiate(who, body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new Problem(400, 'invalid_json', 'request body is not a JSON object of the expected shape');
  }
  for (const k of Object.keys(body)) if (!FIELDS.has(k)) throw new Problem(400, 'invalid_json', `unknown field '${k}'`);
  const { filename, size, contentType, sha256 } = body;
  for (const [k, v] of [['filename', filename], ['contentType', contentType], ['sha256', sha256]]) {
    if (v !== undefined && v !== null && typeof v !== 'string') throw new Problem(400, 'invalid_json', `field '${k}' has the wrong type`);
  }
  if (filename === undefined || filename === null) throw new Problem(400, 'invalid_filename', 'filename is required');
  const safeName = sanitize(filename);
  if (!Number.isSafeInteger(size) || size < 1) throw new Problem(400, 'invalid_size', 'size must be a whole number of bytes ≥ 1');
  if (size > MAX_SIZE) throw new Problem(413, 'too_large', `size ${size} bytes is over the limit of ${MAX_SIZE} bytes`);
  const essence = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const type = ALIASES[essence] ?? essence;
  if (!ALLOWED_SET.has(type)) {
    throw new Problem(415, 'type_not_allowed', `type '${essence}' is not accepted (allowed: ${ALLOWED.join(', ')})`);
  }
  const sha = sha256 == null ? null : sha256.trim().toLowerCase();
  if (sha !== null && !SHA256_HEX.test(sha)) throw new Problem(400, 'invalid_checksum', 'sha256 must be 64 hexadecimal characters');
  if (size > MULTIPART_THRESHOLD) throw new Problem(501, 'not_implemented', 'multipart uploads are not part of this peer');

  const fileId = uuidv7();
  const key = `${who.userId}/${fileId}/${safeName}`;
  const now = new Date();
  const metadata = { 'original-filename': metadataValue(filename), 'uploader-id': who.userId, 'uploaded-at': now.toISOString() };
  if (sha !== null) metadata.sha256 = sha;
  const expiresAt = new Date(now.getTime() + URL_TTL_SECONDS * 1000);

  const c = await pool.connect();
  try {
    await c.query('begin');
    await c.query(
      `insert into accounts (user_id, plan, quota_bytes) values ($1, $2, $3)
       on conflict (user_id) do update set plan = excluded.plan, quota_bytes = excluded.quota_bytes, updated_at = now()
       where accounts.plan is distinct from excluded.plan`,
      [who.userId, who.plan, quotaFor(who.plan)]);
    const r = await c.query(
      `update accounts set reserved_bytes = reserved_bytes + $2, updated_at = now()
       where user_id = $1 and used_bytes + reserved_bytes + $2 <= quota_bytes`,
      [who.userId, size]);
    if (r.rowCount !== 1) {
      const u = await c.query('select quota_bytes - used_bytes - reserved_bytes as free from accounts where user_id = $1', [who.userId]);
      throw new Problem(403, 'quota_exceeded',
        `this upload of ${size} bytes would exceed your quota: ${Math.max(0, Number(u.rows[0].free))} bytes available`);
    }
    await c.query(
      `insert into files (id, owner_id, original_name, safe_name, declared_type, declared_size, declared_sha256, bucket, object_key, status)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending')`,
      [fileId, who.userId, filename, safeName, type, size, sha, BUCKET, key]);
    await c.query(
      `insert into upload_sessions (file_id, kind, s3_upload_id, part_size, part_count, expires_at)
       values ($1, 'single', null, null, null, $2)`,
      [fileId, expiresAt]);
    await c.query('commit');
  } catch (e) {
    await c.query('rollback').catch(() => {});
    throw e;
  } finally {
    c.release();
  }

  // Content-Type, Content-Length and the metadata are signed headers, as in Stowage's presigned PUT
  const headers = { 'content-type': type };
  for (const [k, v] of Object.entries(metadata)) headers[`x-amz-meta-${k}`] = v;
  const input = { Bucket: BUCKET, Key: key, ContentType: type, ContentLength: size, Metadata: metadata };
  if (sha !== null) {
    input.ChecksumSHA256 = Buffer.from(sha, 'hex').toString('base64');
    headers['x-amz-checksum-sha256'] = input.ChecksumSHA256;
  }
  const url = await getSignedUrl(s3, new PutObjectCommand(input), {
    expiresIn: URL_TTL_SECONDS,
    signableHeaders: new Set(['content-type', 'content-length']),
    unhoistableHeaders: new Set(Object.keys(headers).filter((h) => h.startsWith('x-amz-'))),
  });
  return {
    fileId, kind: 'single', status: 'pending', key, size,
    upload: { method: 'PUT', url, headers, expiresAt: expiresAt.toISOString() },
    partSize: null, partCount: null, expiresAt: expiresAt.toISOString(),
  };
}

function problem(res, req, status, code, detail) {
  res.status(status).type('application/problem+json').json({
    type: `urn:stowage:problem:${code}`, status, detail, instance: req.path, code, requestId: res.get('X-Request-Id'),
  });
}

const app = express();
app.disable('x-powered-by');
app.use((req, res, next) => {
  res.set('X-Request-Id', randomUUID());
  next();
});
app.get('/health', (req, res) => res.json({ status: 'up' }));
app.post('/v1/uploads', express.json({ limit: 1_000_000 }), async (req, res) => {
  try {
    const who = await authenticate(req.get('Authorization'));
    res.status(201).json(await initiate(who, req.body));
  } catch (e) {
    if (e instanceof Problem) {
      if (e.status === 401) res.set('WWW-Authenticate', 'Bearer');
      problem(res, req, e.status, e.code, e.message);
    } else {
      console.error('unhandled error on POST /v1/uploads', e);
      problem(res, req, 500, 'internal_error', 'an unexpected error occurred');
    }
  }
});
app.use((err, req, res, next) => {
  if (err.type === 'entity.parse.failed') return problem(res, req, 400, 'invalid_json', 'request body is not valid JSON');
  return next(err);
});

const port = Number(env('PEER_PORT', '8081'));
const server = app.listen(port, '127.0.0.1', () => console.log(`peer listening on 127.0.0.1:${port} (pid ${process.pid}, pool ${pool.options.max})`));
const stop = () => server.close(() => pool.end().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
