/**
 * Stowage browser upload client: an ES module with no dependencies and no build step, served by
 * Stowage at `/stowage-upload.js`.
 *
 * The bytes go straight from the browser to the object store through presigned URLs; the Stowage API
 * only signs, tracks and verifies. Files up to the server's multipart threshold go up in one PUT;
 * larger files go up in parts, several at a time, with part URLs signed in small batches just before
 * they are needed. Every part is signed with the SHA-256 of its slice, computed in the browser (the
 * store refuses other bytes where it keeps checksums, and Stowage checks each part's range when it
 * verifies); the whole file's SHA-256 is declared too for files up to `checksumMaxBytes`.
 * Failed requests are retried with exponential backoff and jitter; an interrupted multipart upload
 * resumes after a page reload when the same file is chosen again.
 *
 * ```js
 * import { StowageUploader } from '/stowage-upload.js';
 * const uploader = new StowageUploader({ token });
 * uploader.addEventListener('progress', e => bar.value = e.detail.fraction);
 * const file = await uploader.upload(input.files[0]);   // resolves once verified
 * if (file.status === 'ready') …
 * ```
 *
 * All sizes and offsets are in bytes; all durations in milliseconds.
 *
 * @module stowage-upload
 */

const STORAGE_PREFIX = 'stowage-upload:v1:';
const IN_FLIGHT = new Set(['pending', 'uploaded', 'verifying', 'scanning']);
const SETTLED = new Set(['ready', 'rejected', 'quarantined']);
const TYPES_BY_EXTENSION = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp',
  heic: 'image/heic', heif: 'image/heif', avif: 'image/avif', pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text', ods: 'application/vnd.oasis.opendocument.spreadsheet',
  txt: 'text/plain', csv: 'text/csv',
};

/**
 * An upload that failed for good (after retries), was refused by the API, or was cancelled.
 */
export class StowageUploadError extends Error {
  /**
   * @param {string} message what went wrong
   * @param {object} [details]
   * @param {number} [details.status] HTTP status of the last answer, when there was one
   * @param {string} [details.code] the API's problem code (`quota_exceeded`, `type_not_allowed`, …)
   * @param {string} [details.fileId] the upload's file id, when one was assigned
   * @param {unknown} [details.cause] the underlying error
   */
  constructor(message, { status, code, fileId, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'StowageUploadError';
    /** @type {number|undefined} */ this.status = status;
    /** @type {string|undefined} */ this.code = code;
    /** @type {string|undefined} */ this.fileId = fileId;
  }
}

/**
 * A request the transport sends to the object store.
 *
 * @typedef {object} TransportRequest
 * @property {string} method HTTP method (`PUT`)
 * @property {string} url the presigned URL
 * @property {Record<string, string>} headers headers to send exactly as given (the signed ones)
 * @property {Blob} body the bytes: the whole file or one part's slice
 * @property {AbortSignal} signal aborts the request
 * @property {(loaded: number) => void} onProgress call with the bytes sent so far
 */

/**
 * What the transport answers: any HTTP answer resolves (also 4xx/5xx); a network failure rejects.
 *
 * @typedef {object} TransportResponse
 * @property {number} status HTTP status
 * @property {string|null} [etag] the `ETag` response header, when readable
 * @property {string} [body] the response body (the object store's error document on failure)
 */

/** Store error codes that mean the bytes did not match the checksum signed into the URL. */
const CHECKSUM_CODES = new Set(['BadDigest', 'XAmzContentSHA256Mismatch', 'InvalidDigest', 'InvalidChecksum']);

/**
 * A sentence that explains why the object store refused a presigned PUT, for people: which headers the
 * request had to carry exactly as signed, and which one differed or what likely went wrong. Pure.
 *
 * - `403 SignatureDoesNotMatch`: the headers named in the URL's `X-Amz-SignedHeaders` are listed with
 *   the values sent; where the store's error document carries its `CanonicalRequest` (AWS does), each
 *   signed header's value there is compared with the value sent and the first that differs is named.
 * - `400 BadDigest`, `XAmzContentSHA256Mismatch`, or `InvalidRequest` about a checksum: the bytes did not
 *   match the signed `x-amz-checksum-sha256` (base64 of the SHA-256 computed from the file before sending).
 * - anything else: the status and the store's `Code` and `Message`.
 *
 * @param {object} refusal
 * @param {string} refusal.what what was sent (`part 2`, `the upload`)
 * @param {number} refusal.status the HTTP status the store answered
 * @param {string} [refusal.body] the store's XML error document
 * @param {string} refusal.url the presigned URL
 * @param {Record<string, string>} [refusal.headers] the headers sent (the signed ones the API listed)
 * @returns {string}
 */
export function describeStoreRefusal({ what, status, body = '', url, headers = {} }) {
  const tag = (name) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(body ?? '')?.[1];
  const code = tag('Code');
  const message = tag('Message');
  let signed = [];
  try {
    signed = (new URL(url).searchParams.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
  } catch {
    // not a URL: nothing to list
  }
  const sent = Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const shown = signed.map((h) => (h === 'host' || h === 'content-length' ? h
    : `${h}: ${sent[h] ?? '(not sent)'}`)).join(', ');
  const head = `${what}: the object store answered ${status}${code ? ` ${code}` : ''}`;
  if (code === 'SignatureDoesNotMatch') {
    const canonical = tag('CanonicalRequest');
    if (canonical) {
      const lines = canonical.replace(/&#10;|&#xA;/g, '\n').split('\n');
      for (const h of signed) {
        if (h === 'host' || h === 'content-length') continue;
        const line = lines.find((l) => l.toLowerCase().startsWith(`${h}:`));
        const seen = line?.slice(h.length + 1).trim();
        const mine = sent[h]?.trim();
        if (seen !== mine) {
          return `${head}: the signed header ${h} differed — the store received ${seen === undefined ? 'none' : `"${seen}"`}, `
            + `the client sent ${mine === undefined ? 'none' : `"${mine}"`}. The request had to carry exactly the signed headers: ${shown}.`;
        }
      }
    }
    const missing = signed.filter((h) => h !== 'host' && h !== 'content-length' && !(h in sent));
    return [`${head}: the request had to carry exactly the signed headers: ${shown}.`,
      missing.length ? `Not sent: ${missing.join(', ')}.`
        : 'None of them could be compared with what the store received; likely causes: a header changed on the way '
          + '(a browser extension or proxy, or a Content-Type added to the request), or the clock is off.',
      message ? `Store message: ${message}` : ''].filter(Boolean).join(' ');
  }
  const checksum = sent['x-amz-checksum-sha256'];
  if (CHECKSUM_CODES.has(code) || (code === 'InvalidRequest' && /checksum|sha-?256|digest/i.test(message ?? ''))) {
    return `${head}: the bytes sent do not match the signed x-amz-checksum-sha256${checksum ? ` ${checksum}` : ''}, `
      + 'the SHA-256 computed from the file before sending: the file changed while it was uploaded, or the bytes were '
      + `cut from another place of the file. Signed headers: ${shown || 'none listed'}.${message ? ` Store message: ${message}` : ''}`;
  }
  return `${head}${message ? `: ${message}` : ''}`;
}

/**
 * Sends a PUT through `XMLHttpRequest`, which reports upload progress (`fetch` does not).
 *
 * @param {TransportRequest} req
 * @returns {Promise<TransportResponse>}
 */
export function xhrTransport({ method, url, headers, body, signal, onProgress }) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    const done = () => signal?.removeEventListener('abort', onAbort);
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers ?? {})) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded);
    xhr.onload = () => {
      done();
      resolve({ status: xhr.status, etag: xhr.getResponseHeader('ETag'), body: xhr.responseText });
    };
    xhr.onerror = () => {
      done();
      reject(new TypeError(`network error on ${method} to the object store`));
    };
    xhr.onabort = () => {
      done();
      reject(signal?.reason ?? new DOMException('request aborted', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.send(body);
  });
}

/**
 * Sends a PUT through `fetch` (for environments without `XMLHttpRequest`; progress is reported only
 * once the request is done).
 *
 * @param {TransportRequest} req
 * @returns {Promise<TransportResponse>}
 */
export async function fetchTransport({ method, url, headers, body, signal, onProgress }) {
  const res = await globalThis.fetch(url, { method, headers, body, signal });
  const text = await res.text().catch(() => '');
  if (res.ok) onProgress?.(body.size);
  return { status: res.status, etag: res.headers.get('ETag'), body: text };
}

/**
 * A file as the API describes it (`GET /v1/files/{id}`).
 *
 * @typedef {object} FileInfo
 * @property {string} id the file id
 * @property {string} name the original file name
 * @property {number} size bytes
 * @property {string} contentType the type detected from the bytes
 * @property {string} status `ready`, `rejected` or `quarantined` once settled
 * @property {string|null} sha256 hex SHA-256 of the stored bytes
 * @property {{result: string|null, signature?: string}} scan the malware scan (`clean`, `unscanned`, …)
 * @property {{code: string, message: string}} [reason] why a file was rejected or quarantined
 * @property {{self: string, content: string}} links API paths; `content` redirects to the bytes (bearer token needed)
 */

/** The transport used when none is given: XHR where it exists, else fetch. */
export const defaultTransport = (req) =>
  (typeof XMLHttpRequest === 'function' ? xhrTransport : fetchTransport)(req);

/**
 * Uploads files to Stowage from a browser.
 *
 * Events (all `CustomEvent`s; every `detail` has `file`, the `File` being uploaded, and `fileId`
 * once the API assigned one):
 * - `progress` — `{ file, fileId, loaded, total, fraction }`: bytes stored so far (including parts
 *   stored before a resume), the file size, and `loaded / total` from 0 to 1.
 * - `statechange` — `{ file, fileId, state, fileInfo? }` with `state` one of `hashing`, `uploading`,
 *   `completing`, `verifying`, then `ready`, `rejected` or `quarantined` (with `fileInfo`, the file
 *   JSON), or `failed` / `cancelled`.
 * - `retry` — `{ file, fileId, partNumber, attempt, delayMs, error }`: a failed request is retried
 *   after `delayMs`; `partNumber` is 0 for a single PUT and `null` for an API call.
 * - `resume` — `{ file, fileId, storedParts, partCount }`: an interrupted upload continues; the
 *   numbers in `storedParts` are not sent again.
 * - `error` — `{ file, fileId, error }`: the upload failed for good (also rejects the promise).
 */
export class StowageUploader extends EventTarget {
  #baseUrl;
  #token;
  #fetch;
  #concurrency;
  #maxRetries;
  #storage;
  #transport;
  #beforePut;
  #retryBaseDelayMs;
  #retryMaxDelayMs;
  #signBatchSize;
  #checksumMaxBytes;
  #pollIntervalMs;
  #verifyTimeoutMs;
  /** @type {Map<string, {controller: AbortController, fileId: string|null}>} */
  #active = new Map();

  /**
   * @param {object} options
   * @param {string} [options.baseUrl=''] the Stowage API origin (`''`: the page's own origin)
   * @param {string | (() => string | Promise<string>)} options.token the bearer token, or a function
   *        returning the current one (called before every API call, so a refreshed token is picked up)
   * @param {typeof globalThis.fetch} [options.fetch=globalThis.fetch] used for every API call
   *        (not for the PUTs to the object store: see `transport`)
   * @param {number} [options.concurrency=4] parts sent at once, per file
   * @param {number} [options.maxRetries=5] retries of one failed request (so at most
   *        `maxRetries + 1` attempts): network errors, 5xx, 408, 429, and for parts also 403 (the part
   *        URL is signed anew for every retry, which covers an expired URL)
   * @param {Storage|null} [options.storage=globalThis.localStorage] where interrupted uploads are
   *        remembered for resuming (`getItem`/`setItem`/`removeItem`; `key`/`length` for
   *        {@link StowageUploader#unfinished}); `null` disables resuming
   * @param {(req: TransportRequest) => Promise<TransportResponse>} [options.transport] sends the
   *        PUTs to the object store; default {@link defaultTransport}
   * @param {(partNumber: number, attempt: number, request: {method: string, url: string, size: number, headers: Record<string, string>}) => (void|Promise<void>)} [options.beforePut]
   *        called before every PUT to the object store, awaited: `partNumber` is 1-based (0 for a
   *        single PUT), `attempt` counts from 1. Throwing fails that attempt as a network error would
   *        (it is retried like one); a returned promise delays the PUT. Meant for tests and
   *        instrumentation: count, delay or fail PUTs without replacing the transport.
   * @param {number} [options.retryBaseDelayMs=500] backoff before the first retry; doubles with each
   *        retry, with full jitter over the upper half
   * @param {number} [options.retryMaxDelayMs=30000] upper bound of one backoff
   * @param {number} [options.signBatchSize=concurrency] part URLs requested per call (1 to 100): small,
   *        so that a slow client never holds URLs that expire before it uses them
   * @param {number} [options.checksumMaxBytes=268435456] files up to this size (256 MiB) get their whole
   *        SHA-256 computed in the browser and declared at initiation (needs WebCrypto, i.e. a secure
   *        context: https or localhost; skipped where it is missing). WebCrypto has no incremental
   *        digest, so the whole file is read into memory (and copied once more by `digest`): about twice
   *        its size, which current desktop and mobile browsers hold for 256 MiB. Larger files, or a
   *        browser that cannot allocate the buffer, go without it: every part still carries its own
   *        SHA-256, which covers every byte.
   * @param {number} [options.pollIntervalMs=500] first interval of status polling after completion
   *        (grows up to 4 times that)
   * @param {number} [options.verifyTimeoutMs=600000] how long to wait for verification to settle
   */
  constructor({
    baseUrl = '',
    token,
    fetch = globalThis.fetch,
    concurrency = 4,
    maxRetries = 5,
    storage = defaultStorage(),
    transport = defaultTransport,
    beforePut = null,
    retryBaseDelayMs = 500,
    retryMaxDelayMs = 30_000,
    signBatchSize = concurrency,
    checksumMaxBytes = 256 * 1024 * 1024,
    pollIntervalMs = 500,
    verifyTimeoutMs = 600_000,
  } = {}) {
    super();
    if (token === undefined || token === null || token === '') throw new TypeError('token is required');
    if (typeof fetch !== 'function') throw new TypeError('fetch must be a function');
    this.#baseUrl = String(baseUrl).replace(/\/+$/, '');
    this.#token = token;
    this.#fetch = fetch;
    this.#concurrency = Math.max(1, Math.floor(concurrency));
    this.#maxRetries = Math.max(0, Math.floor(maxRetries));
    this.#storage = storage ?? null;
    this.#transport = transport;
    this.#beforePut = beforePut;
    this.#retryBaseDelayMs = retryBaseDelayMs;
    this.#retryMaxDelayMs = retryMaxDelayMs;
    this.#signBatchSize = Math.min(100, Math.max(1, Math.floor(signBatchSize)));
    this.#checksumMaxBytes = checksumMaxBytes;
    this.#pollIntervalMs = pollIntervalMs;
    this.#verifyTimeoutMs = verifyTimeoutMs;
  }

  /**
   * Uploads a file and waits until Stowage has verified it.
   *
   * When the same file (same name, size and last-modified time) was being uploaded before, say before
   * a page reload, the upload resumes: the parts already stored are not sent again.
   *
   * @param {File} file the file (a `Blob` with `name` and `lastModified`)
   * @returns {Promise<FileInfo>} the file JSON of `GET /v1/files/{id}` once its status settled:
   *          `ready`, or `rejected` / `quarantined` (check `status` and `reason`)
   * @throws {StowageUploadError} when the API refuses the upload (`code` says why), a request still
   *         fails after `maxRetries` retries, or the upload was cancelled (`code` `cancelled`)
   */
  async upload(file) {
    const key = this.#identity(file);
    if (this.#active.has(key)) {
      throw new StowageUploadError(`${file.name} is already being uploaded`, { code: 'already_uploading' });
    }
    const job = { file, key, controller: new AbortController(), fileId: null };
    this.#active.set(key, job);
    try {
      return await this.#run(job);
    } catch (e) {
      const cancelled = job.controller.signal.aborted;
      const error = cancelled
        ? new StowageUploadError(`upload of ${file.name} cancelled`, { code: 'cancelled', fileId: job.fileId ?? undefined })
        : e instanceof StowageUploadError ? e
          : new StowageUploadError(`upload of ${file.name} failed: ${e?.message ?? e}`, { fileId: job.fileId ?? undefined, cause: e });
      if (error.fileId === undefined && job.fileId) error.fileId = job.fileId;
      this.#state(job, cancelled ? 'cancelled' : 'failed');
      if (!cancelled) this.#emit('error', job, { error });
      throw error;
    } finally {
      this.#active.delete(key);
    }
  }

  /**
   * Cancels the upload of a file: stops sending, tells Stowage (which releases the reserved quota
   * and deletes what arrived) and forgets it for resuming. The `upload()` promise rejects with code
   * `cancelled`. A file that has fully arrived cannot be cancelled any more (delete it instead).
   *
   * @param {File | {fileId: string, name: string, size: number, lastModified: number}} fileOrEntry the
   *        file, or an entry of {@link StowageUploader#unfinished}
   * @returns {Promise<void>}
   */
  async cancel(fileOrEntry) {
    const key = this.#identity(fileOrEntry);
    const job = this.#active.get(key);
    const saved = this.#load(key);
    const fileId = job?.fileId ?? saved?.fileId ?? fileOrEntry.fileId;
    job?.controller.abort(new DOMException('upload cancelled', 'AbortError'));
    this.#forget(key);
    if (!fileId) return;
    try {
      await this.#api('DELETE', `/v1/uploads/${encodeURIComponent(fileId)}`);
    } catch (e) {
      if (e.status !== 404 && e.code !== 'upload_closed') throw e;
    }
  }

  /**
   * Uploads remembered in `storage` that did not finish (e.g. the page was reloaded). Choose the same
   * file again to resume one, or {@link StowageUploader#cancel} it.
   *
   * @returns {Array<{fileId: string, name: string, size: number, lastModified: number, kind: string, expiresAt: string|null}>}
   */
  unfinished() {
    const out = [];
    const s = this.#storage;
    if (!s || typeof s.key !== 'function') return out;
    try {
      const prefix = STORAGE_PREFIX + this.#origin() + '|';
      for (let i = 0; i < s.length; i++) {
        const k = s.key(i);
        if (!k?.startsWith(prefix)) continue;
        const entry = this.#load(k);
        if (entry && !this.#active.has(k)) out.push(entry);
      }
    } catch {
      // storage unavailable: nothing to resume
    }
    return out;
  }

  // ---- the upload itself ----

  async #run(job) {
    const { file } = job;
    if (!(file?.size >= 0)) throw new StowageUploadError(`${file?.name ?? 'file'} has no size`, { code: 'invalid_size' });
    const saved = this.#load(job.key);
    if (saved) {
      const result = await this.#resume(job, saved);
      if (result) return result;
    }
    let sha256;
    if (file.size <= this.#checksumMaxBytes && globalThis.crypto?.subtle) {
      this.#state(job, 'hashing');
      try {
        sha256 = await sha256Hex(file);
      } catch (e) {
        this.#checkAborted(job);
        if (e?.name !== 'RangeError' && e?.name !== 'NotReadableError' && e?.name !== 'OperationError') throw e;
        sha256 = undefined; // no memory for the whole file: the parts' checksums still cover every byte
      }
      this.#checkAborted(job);
    }
    const init = await this.#api('POST', '/v1/uploads', {
      filename: file.name,
      size: file.size,
      contentType: await declaredTypeOf(file),
      ...(sha256 ? { sha256 } : {}),
    }, job);
    job.fileId = init.fileId;
    this.#save(job.key, {
      fileId: init.fileId, name: file.name, size: file.size, lastModified: file.lastModified,
      kind: init.kind, expiresAt: init.expiresAt ?? null,
    });
    this.#state(job, 'uploading');
    this.#progress(job, 0);
    if (init.kind === 'single') {
      await this.#putSingle(job, init.upload);
    } else {
      await this.#putParts(job, { partSize: init.partSize, partCount: init.partCount, parts: [] });
    }
    return this.#complete(job);
  }

  /** Continues a remembered upload; answers the file JSON, or undefined to start afresh. */
  async #resume(job, saved) {
    let st;
    try {
      st = await this.#api('GET', `/v1/uploads/${encodeURIComponent(saved.fileId)}`, undefined, job);
    } catch (e) {
      if (e.status === 404 || e.status === 401 || e.status === 403) {
        this.#forget(job.key);
        return undefined;
      }
      throw e;
    }
    job.fileId = saved.fileId;
    if (st.status === 'pending') {
      const expired = st.expiresAt && Date.parse(st.expiresAt) <= Date.now();
      if (!expired && st.kind === 'multipart' && st.size === job.file.size) {
        const stored = this.#storedParts(st, job.file.size);
        this.#emit('resume', job, { storedParts: [...stored.keys()], partCount: st.partCount });
        this.#state(job, 'uploading');
        await this.#putParts(job, st);
        return this.#complete(job);
      }
      if (!expired && st.kind === 'single') {
        // the PUT may have arrived just before the page went away: completing tells
        try {
          return await this.#complete(job);
        } catch (e) {
          if (e.code !== 'object_missing') throw e;
        }
      }
      // cannot continue this one: release its reservation and start again
      await this.#api('DELETE', `/v1/uploads/${encodeURIComponent(saved.fileId)}`, undefined, job).catch(() => {});
      this.#forget(job.key);
      job.fileId = null;
      return undefined;
    }
    if (IN_FLIGHT.has(st.status) || SETTLED.has(st.status)) {
      // it arrived before the page went away
      this.#forget(job.key);
      this.#progress(job, job.file.size);
      return this.#settle(job);
    }
    this.#forget(job.key); // expired, cancelled, deleted: start again
    job.fileId = null;
    return undefined;
  }

  /** The stored parts of an upload state whose size is right, by part number. */
  #storedParts(st, size) {
    const stored = new Map();
    for (const p of st.parts ?? []) {
      if (p.size === partLength(st.partSize, size, p.partNumber)) stored.set(p.partNumber, p);
    }
    return stored;
  }

  async #putSingle(job, upload) {
    const { file } = job;
    const request = { method: upload.method ?? 'PUT', url: upload.url, size: file.size };
    for (let attempt = 1; ; attempt++) {
      let status;
      let error;
      try {
        await this.#beforePut?.(0, attempt, { ...request, headers: { ...(upload.headers ?? {}) } });
        const res = await this.#transport({
          method: request.method, url: upload.url, headers: { ...(upload.headers ?? {}) }, body: file,
          signal: job.controller.signal, onProgress: (loaded) => this.#progress(job, loaded),
        });
        status = res.status;
        if (status >= 200 && status < 300) {
          this.#progress(job, file.size);
          return;
        }
        error = storeError('the upload', res, upload.url, upload.headers);
      } catch (e) {
        this.#checkAborted(job);
        error = e;
      }
      this.#progress(job, 0);
      // a 403 on a single PUT cannot be fixed by re-signing here (there is one URL per upload)
      if (!retryable(status, false) || attempt > this.#maxRetries) throw asUploadError(error, status, job);
      await this.#backoff(job, 0, attempt, error);
    }
  }

  async #putParts(job, st) {
    const { file } = job;
    const { partSize, partCount } = st;
    const stored = this.#storedParts(st, file.size);
    const todo = [];
    let done = 0;
    for (let n = 1; n <= partCount; n++) {
      if (stored.has(n)) done += partLength(partSize, file.size, n);
      else todo.push(n);
    }
    const sending = new Map(); // part number → bytes sent so far
    const report = () => {
      let loaded = done;
      for (const v of sending.values()) loaded += v;
      this.#progress(job, loaded);
    };
    report();
    if (todo.length === 0) return;

    if (!globalThis.crypto?.subtle) {
      throw new StowageUploadError(`${file.name}: parts are signed with their SHA-256, which needs WebCrypto `
        + '(a secure context: https or localhost)', { code: 'checksum_unavailable', fileId: job.fileId ?? undefined });
    }
    const phase = new AbortController();
    const onJobAbort = () => phase.abort(job.controller.signal.reason);
    job.controller.signal.addEventListener('abort', onJobAbort, { once: true });
    const partSha = new Map(); // part number → its SHA-256, computed once per upload
    const checksum = async (n) => {
      if (!partSha.has(n)) {
        const start = (n - 1) * partSize;
        partSha.set(n, await sha256Hex(file.slice(start, start + partLength(partSize, file.size, n))));
      }
      return partSha.get(n);
    };
    const signer = new PartSigner(
      async (numbers) => {
        const parts = [];
        for (const n of numbers) parts.push({ partNumber: n, sha256: await checksum(n) }); // one part in memory at a time
        this.#checkAborted(job);
        return this.#api('POST', `/v1/uploads/${encodeURIComponent(job.fileId)}/parts`, { parts }, job).then((r) => r.parts);
      },
      todo, this.#signBatchSize);
    let next = 0;
    const worker = async () => {
      while (next < todo.length && !phase.signal.aborted) {
        const n = todo[next++];
        await this.#putPart(job, n, (n - 1) * partSize, signer, phase.signal, (loaded) => {
          sending.set(n, loaded);
          report();
        });
        sending.delete(n);
        done += partLength(partSize, file.size, n);
        report();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.#concurrency, todo.length) }, () => worker().catch((e) => {
        phase.abort(e); // stop the other workers: one part failed for good
        throw e;
      })));
    } finally {
      job.controller.signal.removeEventListener('abort', onJobAbort);
    }
  }

  async #putPart(job, n, start, signer, signal, onProgress) {
    for (let attempt = 1; ; attempt++) {
      const part = await signer.get(n, attempt > 1); // every retry gets a fresh URL
      let status;
      let error;
      try {
        await this.#beforePut?.(n, attempt, { method: part.method ?? 'PUT', url: part.url, size: part.size, headers: { ...(part.headers ?? {}) } });
        const res = await this.#transport({
          method: part.method ?? 'PUT', url: part.url, headers: { ...(part.headers ?? {}) },
          body: job.file.slice(start, start + part.size), signal, onProgress,
        });
        status = res.status;
        if (status >= 200 && status < 300) return;
        error = storeError(`part ${n}`, res, part.url, part.headers);
      } catch (e) {
        this.#checkAborted(job);
        if (signal.aborted) throw signal.reason;
        error = e;
      }
      onProgress(0);
      if (!retryable(status, true) || attempt > this.#maxRetries) throw asUploadError(error, status, job);
      await this.#backoff(job, n, attempt, error, signal);
    }
  }

  async #complete(job) {
    this.#state(job, 'completing');
    await this.#api('POST', `/v1/uploads/${encodeURIComponent(job.fileId)}/complete`, undefined, job);
    this.#forget(job.key);
    this.#progress(job, job.file.size);
    return this.#settle(job);
  }

  async #settle(job) {
    this.#state(job, 'verifying');
    const deadline = Date.now() + this.#verifyTimeoutMs;
    let interval = this.#pollIntervalMs;
    for (;;) {
      const f = await this.#api('GET', `/v1/files/${encodeURIComponent(job.fileId)}`, undefined, job);
      if (SETTLED.has(f.status)) {
        this.#state(job, f.status, { fileInfo: f });
        return f;
      }
      if (!IN_FLIGHT.has(f.status)) {
        throw new StowageUploadError(`upload of ${job.file.name} ended ${f.status}`, { code: f.status, fileId: job.fileId });
      }
      if (Date.now() > deadline) {
        throw new StowageUploadError(`${job.file.name} was still ${f.status} after ${this.#verifyTimeoutMs} ms`,
          { code: 'verify_timeout', fileId: job.fileId });
      }
      await sleep(interval, job.controller.signal);
      interval = Math.min(interval * 1.5, this.#pollIntervalMs * 4);
    }
  }

  // ---- API calls ----

  /**
   * Calls the Stowage API with the bearer token; retries network errors, 5xx, 408 and 429.
   *
   * @returns {Promise<any>} the parsed JSON body, or null for an empty one
   * @throws {StowageUploadError} with the problem's `code` and `detail` for other failures
   */
  async #api(method, path, body, job) {
    const signal = job?.controller.signal;
    for (let attempt = 1; ; attempt++) {
      let res;
      let error;
      try {
        const token = typeof this.#token === 'function' ? await this.#token() : this.#token;
        const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
        if (body !== undefined) headers['Content-Type'] = 'application/json';
        const fetch = this.#fetch;
        res = await fetch(this.#baseUrl + path, {
          method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal,
        });
        const text = await res.text();
        let json = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          // not JSON
        }
        if (res.ok) return json;
        error = new StowageUploadError(
          `${method} ${path}: ${json?.detail ?? json?.title ?? `HTTP ${res.status}`}`,
          { status: res.status, code: json?.code, fileId: job?.fileId ?? undefined });
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        error = e;
      }
      if (!retryable(res?.status, false) || attempt > this.#maxRetries) {
        throw error instanceof StowageUploadError ? error
          : new StowageUploadError(`${method} ${path}: ${error?.message ?? error}`, { cause: error, fileId: job?.fileId ?? undefined });
      }
      if (job) await this.#backoff(job, null, attempt, error);
      else await sleep(this.#delay(attempt));
    }
  }

  // ---- helpers ----

  #delay(attempt) {
    const cap = Math.min(this.#retryMaxDelayMs, this.#retryBaseDelayMs * 2 ** (attempt - 1));
    return Math.round(cap / 2 + Math.random() * cap / 2);
  }

  async #backoff(job, partNumber, attempt, error, signal = job.controller.signal) {
    const delayMs = this.#delay(attempt);
    this.#emit('retry', job, { partNumber, attempt, delayMs, error: String(error?.message ?? error) });
    await sleep(delayMs, signal);
  }

  #checkAborted(job) {
    if (job.controller.signal.aborted) throw job.controller.signal.reason;
  }

  #emit(type, job, extra) {
    this.dispatchEvent(new CustomEvent(type, { detail: { file: job.file, fileId: job.fileId, ...extra } }));
  }

  #state(job, state, extra = {}) {
    job.state = state;
    this.#emit('statechange', job, { state, ...extra });
  }

  #progress(job, loaded) {
    const total = job.file.size;
    const l = Math.min(Math.max(0, loaded), total);
    this.#emit('progress', job, { loaded: l, total, fraction: total ? l / total : 1 });
  }

  #origin() {
    return this.#baseUrl || globalThis.location?.origin || '';
  }

  #identity(f) {
    return `${STORAGE_PREFIX}${this.#origin()}|${f.name}|${f.size}|${f.lastModified}`;
  }

  #load(key) {
    try {
      const raw = this.#storage?.getItem(key);
      const v = raw ? JSON.parse(raw) : null;
      return v && typeof v.fileId === 'string' ? v : null;
    } catch {
      return null;
    }
  }

  #save(key, entry) {
    try {
      this.#storage?.setItem(key, JSON.stringify(entry));
    } catch {
      // storage full or unavailable: the upload works, it just cannot resume
    }
  }

  #forget(key) {
    try {
      this.#storage?.removeItem(key);
    } catch {
      // unavailable
    }
  }
}

/**
 * Hands out presigned part URLs, requesting them in small batches just before they are needed, in
 * the order the parts are sent.
 */
class PartSigner {
  #sign;
  #order;
  #batch;
  /** @type {Map<number, object>} */ #cache = new Map();
  /** @type {Map<number, Promise<void>>} */ #pending = new Map();

  constructor(sign, order, batch) {
    this.#sign = sign;
    this.#order = order;
    this.#batch = batch;
  }

  /** The signed part `n`; `fresh` skips any URL held already (a retry). */
  async get(n, fresh) {
    if (!fresh) {
      if (this.#pending.has(n)) await this.#pending.get(n).catch(() => {});
      const held = this.#cache.get(n);
      if (held && !expiresSoon(held.url)) {
        this.#cache.delete(n);
        return held;
      }
    }
    this.#cache.delete(n);
    const numbers = [n];
    if (!fresh) {
      for (let i = this.#order.indexOf(n) + 1; i < this.#order.length && numbers.length < this.#batch; i++) {
        const m = this.#order[i];
        if (!this.#cache.has(m) && !this.#pending.has(m)) numbers.push(m);
      }
    }
    const p = this.#sign(numbers).then((parts) => {
      for (const part of parts) this.#cache.set(part.partNumber, part);
    }).finally(() => {
      for (const m of numbers) if (this.#pending.get(m) === p) this.#pending.delete(m);
    });
    for (const m of numbers) this.#pending.set(m, p);
    await p;
    const part = this.#cache.get(n);
    this.#cache.delete(n);
    if (!part) throw new StowageUploadError(`no URL was signed for part ${n}`, { code: 'invalid_part_number' });
    return part;
  }
}

function partLength(partSize, total, n) {
  return Math.max(0, Math.min(partSize, total - (n - 1) * partSize));
}

/** Whether a presigned URL (SigV4 query parameters) expires within a minute. */
function expiresSoon(url) {
  try {
    const q = new URL(url).searchParams;
    const date = q.get('X-Amz-Date');
    const expires = Number(q.get('X-Amz-Expires'));
    if (!date || !expires) return false;
    const t = Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8),
      +date.slice(9, 11), +date.slice(11, 13), +date.slice(13, 15));
    return t + expires * 1000 - Date.now() < 60_000;
  } catch {
    return false;
  }
}

function retryable(status, isPart) {
  if (status === undefined || status === 0) return true; // network error
  return status >= 500 || status === 408 || status === 429 || (isPart && status === 403);
}

function storeError(what, res, url, headers) {
  const code = /<Code>([^<]*)<\/Code>/.exec(res.body ?? '')?.[1];
  return new StowageUploadError(describeStoreRefusal({ what, status: res.status, body: res.body, url, headers }),
    { status: res.status, code });
}

function asUploadError(error, status, job) {
  if (error instanceof StowageUploadError) {
    if (!error.fileId && job.fileId) error.fileId = job.fileId;
    return error;
  }
  return new StowageUploadError(String(error?.message ?? error), { status, cause: error, fileId: job.fileId ?? undefined });
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function sha256Hex(blob) {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The MIME type declared for a file without reading it: the browser's, else one guessed from the extension,
 * else `application/octet-stream`, which leaves the type to Stowage: it tells it from the bytes when it
 * verifies the upload. {@link declaredTypeOf} also looks at the first bytes.
 *
 * @param {File} file
 * @returns {string}
 */
export function contentTypeOf(file) {
  if (file.type) return file.type;
  const ext = /\.([^.]+)$/.exec(file.name ?? '')?.[1]?.toLowerCase();
  return (ext && TYPES_BY_EXTENSION[ext]) || 'application/octet-stream';
}

/**
 * The MIME type the uploader declares for a file: the browser's `File.type` when it has one; else the type
 * its first bytes show ({@link sniffType}); else {@link contentTypeOf}'s guess from the extension, or
 * `application/octet-stream` for Stowage to decide from the bytes.
 *
 * @param {Blob & {name?: string}} file
 * @returns {Promise<string>}
 */
export async function declaredTypeOf(file) {
  if (file.type) return file.type;
  let sniffed;
  try {
    sniffed = await sniffType(file);
  } catch {
    sniffed = undefined; // unreadable here: the server reads it anyway
  }
  return sniffed ?? contentTypeOf(file);
}

/** Bytes {@link sniffType} reads: a File Type Box with up to 60 compatible brands. */
const SNIFF_BYTES = 256;

/**
 * ISO BMFF brands (the `ftyp` box at offset 4 of MP4, QuickTime, M4A, 3GP, HEIF and AVIF files) and their
 * types, as the server's detector names them.
 */
const BRANDS = new Map([
  ...['isom', 'iso2', 'iso3', 'iso4', 'iso5', 'iso6', 'iso7', 'iso8', 'iso9', 'mp41', 'mp42', 'avc1', 'dash',
    'M4V ', 'M4VH', 'M4VP'].map((b) => [b, 'video/mp4']),
  ['qt  ', 'video/quicktime'],
  ...['M4A ', 'M4B ', 'M4P '].map((b) => [b, 'audio/mp4']),
  ...['heic', 'heix', 'heim', 'heis'].map((b) => [b, 'image/heic']),
  ...['hevc', 'hevx', 'hevm', 'hevs'].map((b) => [b, 'image/heic-sequence']),
  ...['avif', 'avis'].map((b) => [b, 'image/avif']),
  ...['3gp4', '3gp5', '3gp6', '3gp7', '3gp8', '3gp9'].map((b) => [b, 'video/3gpp']),
  ...['3g2a', '3g2b', '3g2c'].map((b) => [b, 'video/3gpp2']),
  ['crx ', 'image/x-canon-cr3'], // a camera raw that lists isom among its brands
]);

/**
 * The type a file's first bytes show, by their magic numbers: JPEG, PNG, GIF, WebP, PDF, and the ISO BMFF
 * family by its brands (major brand, then compatible brands: MP4, QuickTime, M4A, 3GP, HEIC/HEIF, AVIF).
 * ZIP-based formats (DOCX, XLSX, ODT, …) and anything else answer `undefined`: the server tells them apart.
 *
 * @param {Blob} blob the file
 * @returns {Promise<string|undefined>}
 */
export async function sniffType(blob) {
  const b = new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer());
  const ascii = (from, to) => String.fromCharCode(...b.subarray(from, to));
  const starts = (...bytes) => bytes.every((x, i) => b[i] === x);
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (ascii(0, 5) === '%PDF-') return 'application/pdf';
  if (b.length >= 16 && ascii(4, 8) === 'ftyp') {
    const size = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    if (size < 16) return undefined;
    const major = ascii(8, 12);
    const compatible = [];
    for (let i = 16; i + 4 <= Math.min(size, b.length); i += 4) compatible.push(ascii(i, i + 4));
    if (major === 'mif1' || major === 'miaf') {
      if (compatible.includes('avif')) return 'image/avif';
      if (compatible.some((c) => BRANDS.get(c) === 'image/heic')) return 'image/heic';
      return 'image/heif';
    }
    if (major === 'msf1') {
      if (compatible.includes('avis')) return 'image/avif';
      if (compatible.some((c) => BRANDS.get(c) === 'image/heic-sequence')) return 'image/heic-sequence';
      return 'image/heif-sequence';
    }
    for (const brand of [major, ...compatible]) {
      if (BRANDS.has(brand)) return BRANDS.get(brand);
    }
  }
  return undefined;
}

function defaultStorage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // e.g. storage disabled for this origin
  }
}
