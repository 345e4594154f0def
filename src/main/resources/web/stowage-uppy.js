/**
 * Stowage for Uppy: the options of `@uppy/aws-s3` (Uppy 5, the `uppy` bundle's `AwsS3`) that upload
 * through Stowage's own API — no Companion, no custom server. Served by Stowage at `/stowage-uppy.js`.
 *
 * ```js
 * import { Uppy, Dashboard, AwsS3 } from '/vendor/uppy/dist/uppy.min.mjs';
 * import { stowageAwsS3Options } from '/stowage-uppy.js';
 *
 * const uppy = new Uppy().use(Dashboard, { inline: true, target: '#uppy' });
 * uppy.use(AwsS3, await stowageAwsS3Options({ getToken: () => myToken }));
 * uppy.on('upload-success', (file, res) => console.log(res.body.fileId, res.body.status)); // 'ready'
 * ```
 *
 * How each option maps onto the API (docs/api.md, "Uploads"):
 *
 * | Uppy option | Stowage |
 * |---|---|
 * | `shouldUseMultipart(file)` | `file.size > uploads.multipartThresholdBytes` of `GET /v1/usage`: the rule the server applies |
 * | `getChunkSize()` | `uploads.partSizeBytes`: Stowage's part size, so Uppy cuts the parts Stowage expects |
 * | `getUploadParameters(file)` | `POST /v1/uploads` → its single presigned PUT (`upload.url`, `upload.headers`) |
 * | `createMultipartUpload(file)` | `POST /v1/uploads` → `{uploadId: fileId, key}` |
 * | `signPart(file, {uploadId, partNumber, body})` | SHA-256 of `body`, then `POST /v1/uploads/{id}/parts` |
 * | `listParts(file, {uploadId})` | `GET /v1/uploads/{id}` → the parts already stored (resume) |
 * | `completeMultipartUpload(file, {uploadId})` | `POST /v1/uploads/{id}/complete`, then waits for `ready` |
 * | `abortMultipartUpload(file, {uploadId})` | `DELETE /v1/uploads/{id}` |
 * | `uploadPartBytes(…)` | the PUT to the store; after a single PUT also `complete`, then waits for `ready` |
 *
 * The upload id Uppy keeps (and Golden Retriever saves for a resume after a reload) is Stowage's file id;
 * the token stays in this module's closure, never in Uppy's state. Every refusal of the API (an RFC 9457
 * problem with a `code`) becomes the Uppy error of the file, as a {@link StowageUploadError} whose message
 * is the problem's `detail` followed by its code, e.g. `the upload would exceed your quota (quota_exceeded)`.
 * A file Stowage rejects after it arrived (`type_mismatch`, `checksum_mismatch`, malware …) fails in Uppy
 * the same way. Sizes are in bytes, durations in milliseconds.
 *
 * @module stowage-uppy
 */
import { StowageUploadError, declaredTypeOf, describeStoreRefusal, xhrTransport } from './stowage-upload.js';

const SETTLED = new Set(['ready', 'rejected', 'quarantined', 'expired', 'cancelled']);
/** Statuses of an upload that can no longer be continued. */
const ENDED = new Set(['rejected', 'quarantined', 'expired', 'cancelled', 'deleted', 'purged']);

/**
 * How the server cuts uploads: `uploads` of `GET /v1/usage`.
 *
 * @typedef {object} UploadRules
 * @property {number} maxSizeBytes largest file accepted
 * @property {number} multipartThresholdBytes files larger than this go up in parts
 * @property {number} partSizeBytes size of every part but the last
 */

/**
 * The result Uppy hands to `upload-success` as `response.body`.
 *
 * @typedef {object} StowageUploadResult
 * @property {string} fileId Stowage's file id
 * @property {string} status the file's status when the upload ended: `ready` (or still `scanning`, … when
 *           `readyTimeoutMs` passed first, or `uploaded` when `awaitReady` is false)
 * @property {string} location the API link of the file, `<baseUrl>/v1/files/<fileId>`
 */

/**
 * Builds the `@uppy/aws-s3` options for a Stowage server. Reads the server's upload rules once
 * (`GET /v1/usage`), unless `rules` is given.
 *
 * @param {object} options
 * @param {string} [options.baseUrl=''] the Stowage origin (`https://files.example.com`); '' for the page's own
 * @param {string} [options.token] a bearer token (JWT) for the API
 * @param {() => string|Promise<string>} [options.getToken] called before every API call instead of `token`
 *        (for tokens that are refreshed)
 * @param {UploadRules} [options.rules] the server's rules, when known (skips `GET /v1/usage`)
 * @param {number} [options.checksumMaxBytes=268435456] files up to this size (256 MiB) declare their whole
 *        SHA-256 (read once in the browser), so the store refuses other bytes of a single PUT; parts always
 *        declare theirs
 * @param {boolean} [options.awaitReady=true] an upload succeeds in Uppy only once Stowage verified it
 *        (`ready`); a rejected or quarantined file fails with its reason
 * @param {number} [options.readyTimeoutMs=120000] how long to wait for a verdict before calling the upload done
 *        with the status it has
 * @param {typeof fetch} [options.fetch=globalThis.fetch]
 * @returns {Promise<object>} the options for `uppy.use(AwsS3, options)`; extra options (`limit`, `id`, …) may be
 *          added to it
 * @throws {StowageUploadError} when the rules cannot be read (e.g. `unauthenticated`)
 */
export async function stowageAwsS3Options({
  baseUrl = '', token, getToken, rules, checksumMaxBytes = 256 * 1024 * 1024,
  awaitReady = true, readyTimeoutMs = 120_000, fetch = globalThis.fetch.bind(globalThis),
} = {}) {
  if (!token && !getToken) throw new TypeError('stowageAwsS3Options needs token or getToken');
  const base = baseUrl.replace(/\/+$/, '');

  /** Calls the API; answers its JSON (null when empty) or throws the problem as a StowageUploadError. */
  async function api(method, path, body, signal) {
    const bearer = getToken ? await getToken() : token;
    const headers = { Authorization: `Bearer ${bearer}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (a proxy's error page)
    }
    if (res.ok) return json;
    throw problemError(res.status, json, `${method} ${path}`);
  }

  const cut = rules ?? (await api('GET', '/v1/usage')).uploads;
  if (!(cut?.partSizeBytes > 0) || !(cut?.multipartThresholdBytes >= 0)) {
    throw new StowageUploadError('the server did not say how it cuts uploads (GET /v1/usage has no "uploads")');
  }
  /** Presigned URL of a single PUT → its file id, to complete it once the PUT succeeded. */
  const singles = new Map();
  /** Uppy file id → its single-PUT upload, reused when Uppy retries the file while the URL is fresh. */
  const issued = new Map();

  async function initiate(file, signal) {
    const data = file.data;
    const named = data instanceof File ? data : new File([data], file.name, { type: file.type ?? '' });
    const type = file.type && file.type !== 'application/octet-stream' ? file.type : await declaredTypeOf(named);
    const req = { filename: file.name, size: data.size, contentType: type };
    if (data.size <= checksumMaxBytes) req.sha256 = await sha256Hex(data);
    return api('POST', '/v1/uploads', req, signal);
  }

  async function awaitVerdict(fileId, name, signal) {
    if (!awaitReady) return { fileId, status: 'uploaded', location: `${base}/v1/files/${fileId}` };
    const end = Date.now() + readyTimeoutMs;
    let f;
    for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
      f = await api('GET', `/v1/files/${encodeURIComponent(fileId)}`, undefined, signal);
      if (SETTLED.has(f.status) || Date.now() + wait > end) break;
      await new Promise((r) => setTimeout(r, wait));
    }
    if (f.status !== 'ready' && SETTLED.has(f.status)) {
      const why = f.reason ? `${f.reason.message} (${f.reason.code})` : f.status;
      throw new StowageUploadError(`${name} was ${f.status}: ${why}`, { code: f.reason?.code ?? f.status, fileId });
    }
    return { fileId, status: f.status, location: `${base}/v1/files/${fileId}` };
  }

  return {
    shouldUseMultipart: (file) => (file.size ?? file.data?.size ?? 0) > cut.multipartThresholdBytes,
    getChunkSize: () => cut.partSizeBytes,

    async getUploadParameters(file, { signal } = {}) {
      const earlier = issued.get(file.id);
      if (earlier && earlier.size === file.data.size && Date.parse(earlier.upload.expiresAt) > Date.now() + 60_000) {
        return { method: 'PUT', url: earlier.upload.url, headers: earlier.upload.headers };
      }
      const up = await initiate(file, signal);
      if (up.kind !== 'single') {
        await api('DELETE', `/v1/uploads/${up.fileId}`).catch(() => {});
        throw new StowageUploadError(`${file.name}: the server asked for a ${up.kind} upload; its rules changed, reload the page`,
          { code: 'rules_changed', fileId: up.fileId });
      }
      singles.set(up.upload.url, { fileId: up.fileId, name: file.name, uppyId: file.id });
      issued.set(file.id, up);
      return { method: 'PUT', url: up.upload.url, headers: up.upload.headers };
    },

    async createMultipartUpload(file) {
      const up = await initiate(file);
      if (up.kind !== 'multipart' || up.partSize !== cut.partSizeBytes) {
        await api('DELETE', `/v1/uploads/${up.fileId}`).catch(() => {});
        throw new StowageUploadError(`${file.name}: the server's upload rules changed; reload the page`,
          { code: 'rules_changed', fileId: up.fileId });
      }
      return { uploadId: up.fileId, key: up.key };
    },

    async signPart(file, { uploadId, partNumber, body, signal }) {
      const sha256 = await sha256Hex(body);
      const { parts } = await api('POST', `/v1/uploads/${encodeURIComponent(uploadId)}/parts`,
        { parts: [{ partNumber, sha256 }] }, signal);
      const p = parts.find((x) => x.partNumber === partNumber);
      return { method: p.method, url: p.url, headers: p.headers };
    },

    async listParts(file, { uploadId, signal }) {
      const st = await api('GET', `/v1/uploads/${encodeURIComponent(uploadId)}`, undefined, signal);
      if (st.status !== 'pending' && !ENDED.has(st.status)) {
        // it arrived already (the page went away between complete and its answer): nothing to send again
        const count = Math.max(1, Math.ceil(st.size / cut.partSizeBytes));
        return Array.from({ length: count }, (_, i) => ({ PartNumber: i + 1 }));
      }
      if (st.status !== 'pending') {
        throw new StowageUploadError(`${file.name}: the upload is ${st.status}; add the file again to start a new one`,
          { code: 'upload_closed', fileId: uploadId });
      }
      return (st.parts ?? []).map((p) => ({ PartNumber: p.partNumber, Size: p.size, ETag: p.etag }));
    },

    async completeMultipartUpload(file, { uploadId, signal }) {
      await api('POST', `/v1/uploads/${encodeURIComponent(uploadId)}/complete`, undefined, signal);
      return awaitVerdict(uploadId, file.name, signal);
    },

    async abortMultipartUpload(file, { uploadId }) {
      try {
        await api('DELETE', `/v1/uploads/${encodeURIComponent(uploadId)}`);
      } catch (e) {
        if (e.status !== 404 && e.code !== 'upload_closed') throw e;
      }
    },

    async uploadPartBytes({ signature: { url, headers, method = 'PUT' }, body, size = body.size, onProgress, onComplete, signal }) {
      const res = await xhrTransport({
        method, url, headers, body, signal,
        onProgress: (loaded) => onProgress?.({ loaded, lengthComputable: true }),
      });
      const single = singles.get(url);
      if (res.status < 200 || res.status >= 300) {
        const err = new StowageUploadError(describeStoreRefusal({ what: single ? 'the upload' : 'a part', status: res.status, body: res.body, url, headers }),
          { status: res.status, fileId: single?.fileId });
        err.source = { status: res.status }; // Uppy retries by this (not 4xx but 409)
        throw err;
      }
      onProgress?.({ loaded: size, lengthComputable: true });
      if (!res.etag) {
        throw new StowageUploadError('the object store did not expose ETag: its CORS rule must list ExposeHeaders ETag',
          { fileId: single?.fileId });
      }
      onComplete?.(res.etag);
      if (!single) return { ETag: res.etag };
      await api('POST', `/v1/uploads/${encodeURIComponent(single.fileId)}/complete`, undefined, signal);
      singles.delete(url); // completed: a retry of the file starts a new upload
      issued.delete(single.uppyId);
      return { ETag: res.etag, ...(await awaitVerdict(single.fileId, single.name, signal)) };
    },
  };
}

/**
 * The Uppy error for a refusal of the API: the problem's `detail` (else its `title`) and `code`.
 *
 * @param {number} status HTTP status
 * @param {{code?: string, detail?: string, title?: string}|null} problem the problem+json body, if any
 * @param {string} what the call, for answers without a problem body
 * @returns {StowageUploadError} with `status`, `code` and `source.status` (Uppy's retry rule reads it)
 */
export function problemError(status, problem, what) {
  const text = problem?.detail || problem?.title || `${what} answered HTTP ${status}`;
  const err = new StowageUploadError(problem?.code ? `${text} (${problem.code})` : text, { status, code: problem?.code });
  err.source = { status };
  return err;
}

/** Lowercase hex SHA-256 of a Blob (WebCrypto: https or localhost). */
async function sha256Hex(blob) {
  if (!globalThis.crypto?.subtle) {
    throw new StowageUploadError('uploads are signed with their SHA-256, which needs WebCrypto (https or localhost)',
      { code: 'checksum_unavailable' });
  }
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
