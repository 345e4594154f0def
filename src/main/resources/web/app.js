// The Stowage web page: sign in (token), upload by drop or file picker, list files (with thumbnails of
// images) and download them.
//
// Token: the one saved in this tab (sessionStorage), else — under `stowage dev` only — a dev token from
// POST /v1/dev/tokens; otherwise the page asks for one. A `?token=…` in the address is removed from the
// address bar at once and used only after the user confirms the account it is for (token-link.js).
//
// Test hook: when `window.__stowageTestHooks.beforePut` is a function, every PUT to the object store
// first awaits `beforePut(partNumber, attempt, {method, url, size, headers})` (see StowageUploader's
// `beforePut` option): browser tests use it to count, delay or fail PUTs. Nothing on the page sets
// it, so it does nothing in normal use.

import { StowageUploader } from './stowage-upload.js';
import { chooseAccount, savedToken, tokenFromAddress, whoAmI } from './token-link.js';

const TOKEN_KEY = 'stowage.token';
const MAX_FILES_AT_ONCE = 2;
const $ = (id) => document.getElementById(id);

const ui = {
  who: $('who'), tokenForm: $('token-form'), tokenInput: $('token-input'),
  uploadSection: $('upload-section'), dropZone: $('drop-zone'), fileInput: $('file-input'),
  unfinished: $('unfinished'), unfinishedList: $('unfinished-list'),
  progressArea: $('progress-area'), overall: $('overall-progress'), overallText: $('overall-text'), uploadList: $('upload-list'),
  filesSection: $('files-section'), fileRows: $('file-rows'), noFiles: $('no-files'), refresh: $('refresh'),
  messages: $('messages'), checks: $('checks'),
};

let token = null;
let uploader = null;
/** @type {Map<File, {row: HTMLLIElement, bar: HTMLProgressElement, state: HTMLElement, cancel: HTMLButtonElement, loaded: number, total: number, done: boolean}>} */
const uploads = new Map();
const queue = [];
let running = 0;

// ---- formatting ----

const number = (digits) => new Intl.NumberFormat(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A byte count for people: 1000-based units (kB, MB, GB). */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '';
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  return `${number(v < 10 ? 1 : 0).format(v)} ${units[i]}`;
}

function say(text, kind = 'error') {
  const p = document.createElement('p');
  p.className = kind;
  p.textContent = text;
  ui.messages.append(p);
  setTimeout(() => p.remove(), kind === 'error' ? 15000 : 6000);
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

// ---- health ----

async function showHealth() {
  try {
    const body = await (await fetch('/health/ready')).json();
    ui.checks.replaceChildren(...Object.entries(body.checks ?? {}).map(([name, c]) =>
      el('li', { className: c.status, title: c.reason ?? '' }, `${name.replaceAll('_', ' ')} ${c.status}`)));
  } catch {
    ui.checks.replaceChildren(el('li', { className: 'down' }, 'API unreachable'));
  }
}

// ---- token ----

async function signIn() {
  const fromAddress = tokenFromAddress();
  const current = await currentSession();
  if (!fromAddress) return current;
  const { session, outcome } = await chooseAccount(fromAddress, current, document.querySelector('main'));
  if (outcome === 'refused') say('The token in the link was refused; the account in use did not change.');
  if (outcome === 'kept') say(current ? `Still signed in as ${current.me.userId}; the link was not used.` : 'The link was not used.', 'info');
  if (outcome === 'same' || outcome === 'switched') {
    sessionStorage.setItem(TOKEN_KEY, session.token);
    return { ...session, how: 'saved token' };
  }
  return session;
}

/** The account in use before any link: the saved token, else (under dev) a dev token, else null. */
async function currentSession() {
  const saved = savedToken(TOKEN_KEY);
  if (saved) {
    const me = await whoAmI(saved);
    if (me) return { token: saved, me, how: 'saved token' };
    sessionStorage.removeItem(TOKEN_KEY);
    say('The saved token was refused; sign in again.');
  }
  const res = await fetch('/v1/dev/tokens', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  if (res.status === 201) {
    const dev = await res.json();
    const me = await whoAmI(dev.token);
    if (me) return { token: dev.token, me, how: 'dev token' };
  }
  return null;
}

function showSignedIn({ me, how }) {
  ui.who.replaceChildren(`Signed in as ${me.userId} (${me.plan} plan, ${how})`,
    el('button', { type: 'button', className: 'link', onclick: signOut }, 'Change token'));
  ui.tokenForm.hidden = true;
  ui.uploadSection.hidden = false;
  ui.filesSection.hidden = false;
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  ui.who.textContent = 'Not signed in';
  ui.tokenForm.hidden = false;
  ui.tokenInput.focus();
}

ui.tokenForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const t = ui.tokenInput.value.trim();
  const me = t ? await whoAmI(t) : null;
  if (!me) {
    say('That token was refused.');
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, t);
  ui.tokenInput.value = '';
  start({ token: t, me, how: 'saved token' });
});

// ---- uploads ----

function makeUploader() {
  const u = new StowageUploader({
    token: () => token,
    beforePut: (partNumber, attempt, request) => window.__stowageTestHooks?.beforePut?.(partNumber, attempt, request),
  });
  u.addEventListener('progress', (e) => {
    const item = uploads.get(e.detail.file);
    if (!item) return;
    item.loaded = e.detail.loaded;
    item.bar.max = e.detail.total;
    item.bar.value = e.detail.loaded;
    if (item.row.dataset.state === 'uploading') item.state.textContent = `uploading ${Math.floor(e.detail.fraction * 100)} %`;
    showOverall();
  });
  u.addEventListener('statechange', (e) => {
    const { file, state, fileId, fileInfo } = e.detail;
    const item = uploads.get(file);
    if (!item) return;
    item.row.dataset.state = state;
    if (fileId) item.row.dataset.fileId = fileId;
    const labels = { hashing: 'computing checksum', uploading: 'uploading', completing: 'finishing', verifying: 'verifying', ready: 'ready', quarantined: 'quarantined: malware found', cancelled: 'cancelled', failed: 'failed' };
    item.state.textContent = state === 'rejected' ? `rejected: ${fileInfo?.reason?.message ?? 'not accepted'}` : labels[state] ?? state;
    if (['completing', 'verifying', 'ready', 'rejected', 'quarantined', 'failed', 'cancelled'].includes(state)) item.cancel.hidden = true;
    if (['uploading', 'ready', 'rejected', 'quarantined', 'cancelled'].includes(state)) loadFiles();
  });
  u.addEventListener('retry', (e) => {
    const item = uploads.get(e.detail.file);
    if (!item) return;
    const what = e.detail.partNumber ? `part ${e.detail.partNumber}` : e.detail.partNumber === 0 ? 'upload' : 'request';
    item.row.dataset.retries = String(Number(item.row.dataset.retries ?? 0) + 1);
    item.state.textContent = `retrying ${what} (attempt ${e.detail.attempt + 1})…`;
  });
  u.addEventListener('resume', (e) => {
    const item = uploads.get(e.detail.file);
    if (item) item.row.dataset.resumedParts = e.detail.storedParts.join(',');
    say(`Resuming ${e.detail.file.name}: ${e.detail.storedParts.length} of ${e.detail.partCount} parts were already stored.`, 'info');
  });
  u.addEventListener('error', (e) => {
    const item = uploads.get(e.detail.file);
    if (item) item.state.textContent = `failed: ${e.detail.error.message}`;
    say(`${e.detail.file.name}: ${e.detail.error.message}`);
  });
  return u;
}

function showOverall() {
  let loaded = 0;
  let total = 0;
  for (const u of uploads.values()) {
    loaded += u.done ? u.total : u.loaded;
    total += u.total;
  }
  ui.overall.max = Math.max(1, total);
  ui.overall.value = loaded;
  ui.overallText.textContent = total ? `${formatBytes(loaded)} of ${formatBytes(total)}` : '';
}

function addFiles(fileList) {
  const files = Array.from(fileList);
  if (!files.length || !uploader) return;
  if ([...uploads.values()].every((u) => u.done)) {
    uploads.clear(); // a new batch: start the rows and the overall bar afresh
    ui.uploadList.replaceChildren();
  }
  ui.progressArea.hidden = false;
  for (const file of files) {
    const bar = el('progress', { max: Math.max(1, file.size), value: 0, dataset: { fileName: file.name } });
    bar.setAttribute('aria-label', `Upload progress of ${file.name}`);
    const state = el('span', { className: 'state' }, 'waiting');
    const cancel = el('button', { type: 'button', className: 'secondary', onclick: () => uploader.cancel(file).catch((err) => say(err.message)) }, 'Cancel');
    cancel.setAttribute('aria-label', `Cancel upload of ${file.name}`);
    const row = el('li', { className: 'upload', dataset: { fileName: file.name, state: 'waiting' } },
      el('span', { className: 'name', title: file.name }, file.name), bar, state, cancel);
    ui.uploadList.append(row);
    uploads.set(file, { row, bar, state, cancel, loaded: 0, total: file.size, done: false });
    queue.push(file);
  }
  showOverall();
  pump();
}

function pump() {
  while (running < MAX_FILES_AT_ONCE && queue.length) {
    const file = queue.shift();
    running++;
    uploader.upload(file)
      .catch(() => { /* shown through the error and statechange events */ })
      .finally(() => {
        const item = uploads.get(file);
        if (item) item.done = true;
        running--;
        showOverall();
        showUnfinished();
        pump();
      });
  }
}

ui.fileInput.addEventListener('change', () => {
  addFiles(ui.fileInput.files);
  ui.fileInput.value = ''; // choosing the same file again must fire 'change' again
});
for (const type of ['dragenter', 'dragover']) {
  ui.dropZone.addEventListener(type, (e) => {
    e.preventDefault();
    ui.dropZone.classList.add('over');
  });
}
for (const type of ['dragleave', 'drop']) {
  ui.dropZone.addEventListener(type, () => ui.dropZone.classList.remove('over'));
}
ui.dropZone.addEventListener('drop', (e) => {
  e.preventDefault();
  addFiles(e.dataTransfer?.files ?? []);
});

function showUnfinished() {
  const entries = uploader ? uploader.unfinished() : [];
  ui.unfinished.hidden = entries.length === 0;
  ui.unfinishedList.replaceChildren(...entries.map((entry) => el('li', { dataset: { fileId: entry.fileId, fileName: entry.name } },
    `${entry.name} (${formatBytes(entry.size)}) `,
    el('button', {
      type: 'button', className: 'link',
      onclick: () => uploader.cancel(entry).then(() => { showUnfinished(); loadFiles(); }, (err) => say(err.message)),
    }, 'Discard'))));
}

// ---- files ----

let listing = null;

/** Lists the files again and shows them; `quiet` leaves a failure unsaid (the next poll tries again). */
async function loadFiles({ quiet = false } = {}) {
  if (listing) return listing;
  listing = (async () => {
    try {
      const res = await fetch('/v1/files?limit=100', { headers: { Authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`listing files failed: HTTP ${res.status}`);
      renderFiles((await res.json()).items);
    } catch (e) {
      if (!quiet) say(e.message);
      pollLater(null);
    } finally {
      listing = null;
    }
  })();
  return listing;
}

/**
 * The rows on show, by file id: `key` (everything the row shows), the `<tr>`, its thumbnail cell, the
 * thumbnail's object URL and which variant it holds (`thumbKey`), and its fetch while one runs.
 * @type {Map<string, {key: string, row: HTMLTableRowElement, thumb: HTMLTableCellElement, url: string|null, thumbKey: string|null, abort: AbortController|null, failed: boolean, gone: boolean}>}
 */
let shown = new Map();

function renderFiles(items) {
  ui.noFiles.hidden = items.length > 0;
  const next = new Map();
  for (const f of items) {
    const key = rowKey(f);
    const old = shown.get(f.id);
    next.set(f.id, old && old.key === key ? old : fileRow(f, key, old));
  }
  for (const [id, entry] of shown) if (next.get(id) !== entry) dropRow(entry);
  shown = next;
  // a row that stays is left where it is (moving an element takes the keyboard focus away) and keeps its thumbnail
  [...next.values()].forEach(({ row }, i) => {
    const at = ui.fileRows.children[i] ?? null;
    if (at !== row) ui.fileRows.insertBefore(row, at);
  });
  pollLater(items);
}

const thumbOf = (f) => f.variants?.find((v) => v.name === 'thumb');

function rowKey(f) {
  return JSON.stringify([f.name, f.size, f.contentType, f.status, f.reason?.message, f.scan?.result, f.createdAt,
    f.variantsStatus, f.variantsReason?.code, thumbOf(f)]);
}

/** A new row for a file; `old` is the row it replaces, whose thumbnail it takes over when it shows the same variant. */
function fileRow(f, key, old) {
  const entry = { key, row: null, thumb: null, url: null, thumbKey: null, abort: null, failed: false, gone: false };
  const status = el('td', {}, el('span', { className: `badge ${f.status}` }, f.status));
  if (f.reason?.message && f.status !== 'ready') status.append(el('span', { className: 'reason' }, f.reason.message));
  if (f.status === 'ready' && f.scan?.result === 'unscanned') status.append(el('span', { className: 'unscanned' }, 'not scanned for malware'));
  let action = null;
  if (f.status === 'ready') {
    action = el('a', { href: f.links.content, className: 'download', download: f.name, onclick: (e) => download(e, f) }, 'Download');
    action.setAttribute('aria-label', `Download ${f.name}`);
  }
  entry.thumb = thumbCell(f, entry, old);
  entry.row = el('tr', { dataset: { fileId: f.id, fileName: f.name, status: f.status } },
    entry.thumb,
    el('td', { className: 'name' }, f.name),
    el('td', { className: 'num', title: `${f.size} bytes` }, formatBytes(f.size)),
    el('td', {}, f.contentType ?? ''),
    status,
    el('td', {}, new Date(f.createdAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })),
    el('td', {}, action));
  return entry;
}

/** A row leaves the table: stop its thumbnail fetch and give back its object URL. */
function dropRow(entry) {
  entry.gone = true;
  entry.row.remove();
  nearView?.unobserve(entry.thumb);
  entry.abort?.abort();
  if (entry.url) URL.revokeObjectURL(entry.url);
  entry.url = null;
}

// ---- thumbnails ----
//
// An image's row shows its stored `thumb` variant (150×150 WebP). An <img src> cannot send the bearer
// token, so the variant URL is fetched with it — the API redirects to a short presigned GET of the
// processed bucket, which the bucket's CORS rule lets this page read, or answers the bytes itself
// when it has just made the thumbnail — and shown through an object URL, given back when the row
// goes. Thumbnails are fetched once their row comes near the viewport, a few at a time. While the
// variants are being made (`variantsStatus: pending`) the row shows a placeholder and the list is
// fetched again, less and less often, until they are ready; `failed` shows why there is no preview.

const THUMB_FETCHES_AT_ONCE = 4;
const thumbJobs = [];
let thumbFetches = 0;
const thumbStarts = new WeakMap();
const nearView = 'IntersectionObserver' in window
  ? new IntersectionObserver((seen) => {
    for (const s of seen) {
      if (!s.isIntersecting) continue;
      nearView.unobserve(s.target);
      const job = thumbStarts.get(s.target);
      thumbStarts.delete(s.target);
      if (job) queueThumb(job);
    }
  }, { rootMargin: '300px 0px' })
  : null;

function queueThumb(job) {
  thumbJobs.push(job);
  pumpThumbs();
}

function pumpThumbs() {
  while (thumbFetches < THUMB_FETCHES_AT_ONCE && thumbJobs.length) {
    thumbFetches++;
    thumbJobs.shift()().finally(() => {
      thumbFetches--;
      pumpThumbs();
    });
  }
}

/** Short words for the reasons an image has no variants; the server's full message goes in the tooltip. */
const NO_PREVIEW = {
  too_many_pixels: 'image too large', too_many_bytes: 'file too large', corrupt_image: 'damaged image',
  unsupported_image: 'format not supported',
};

function thumbCell(f, entry, old) {
  const td = el('td', { className: 'thumb' });
  if (f.status !== 'ready' || !['pending', 'ready', 'failed'].includes(f.variantsStatus)) return td;
  if (f.variantsStatus === 'failed') {
    td.dataset.thumb = 'failed';
    const why = NO_PREVIEW[f.variantsReason?.code] ?? f.variantsReason?.message ?? 'unknown reason';
    td.append(el('span', { className: 'thumb-note', title: f.variantsReason?.message ?? '' }, `No preview: ${why}`));
    return td;
  }
  // the thumb is usually stored before the other variants: it is shown as soon as it is listed
  const v = thumbOf(f);
  const pending = f.variantsStatus === 'pending' && !v;
  if (v && old?.url && old.thumbKey === JSON.stringify(v) && old.thumb.dataset.thumb === 'shown') {
    entry.url = old.url;
    entry.thumbKey = old.thumbKey;
    old.url = null; // now this row's to give back
    td.dataset.thumb = 'shown';
    td.append(...old.thumb.childNodes);
    return td;
  }
  td.dataset.thumb = pending ? 'pending' : 'loading';
  const box = el('span', { className: 'thumb-box' });
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', pending ? `Preview of ${f.name} is being made` : `Loading preview of ${f.name}`);
  td.append(box);
  if (!pending) {
    const job = () => showThumb(f, entry);
    if (nearView) {
      thumbStarts.set(td, job);
      nearView.observe(td);
    } else {
      queueThumb(job);
    }
  }
  return td;
}

async function showThumb(f, entry) {
  if (entry.gone) return;
  const td = entry.thumb;
  const v = thumbOf(f);
  entry.abort = new AbortController();
  try {
    const res = await fetch(v?.url ?? `/v1/files/${f.id}/variants/thumb`, {
      headers: { Authorization: `Bearer ${token}` }, signal: entry.abort.signal,
    });
    if (!res.ok) throw new Error(await problemDetail(res));
    const blob = await res.blob();
    if (entry.gone) return;
    entry.url = URL.createObjectURL(blob);
    entry.thumbKey = JSON.stringify(v);
    const img = el('img', { src: entry.url, alt: f.name, width: v?.width || 150, height: v?.height || 150, decoding: 'async' });
    img.addEventListener('load', () => { td.dataset.thumb = 'shown'; }, { once: true });
    img.addEventListener('error', () => thumbError(entry, 'the preview could not be decoded'), { once: true });
    td.replaceChildren(img);
  } catch (e) {
    if (!entry.gone) thumbError(entry, e.message);
  } finally {
    entry.abort = null;
  }
}

function thumbError(entry, message) {
  entry.failed = true;
  entry.thumb.dataset.thumb = 'error';
  entry.thumb.replaceChildren(el('span', { className: 'thumb-note', title: message }, 'Preview unavailable'));
}

const POLL_FIRST_MS = 1000;
const POLL_MAX_MS = 10_000;
const poll = { timer: 0, delay: POLL_FIRST_MS, waitingFor: '', whenVisible: false };

/** Lists the files again later while some image's variants are being made (`items`: null = still the same ones). */
function pollLater(items) {
  clearTimeout(poll.timer);
  poll.timer = 0;
  const waitingFor = items
    ? items.filter((f) => f.status === 'ready' && f.variantsStatus === 'pending').map((f) => f.id).join()
    : poll.waitingFor;
  if (waitingFor !== poll.waitingFor) poll.delay = POLL_FIRST_MS;
  poll.waitingFor = waitingFor;
  if (!waitingFor) return;
  poll.timer = setTimeout(() => {
    poll.timer = 0;
    if (document.hidden) poll.whenVisible = true;
    else loadFiles({ quiet: true });
  }, poll.delay);
  poll.delay = Math.min(POLL_MAX_MS, Math.round(poll.delay * 1.5));
}

document.addEventListener('visibilitychange', () => {
  if (document.hidden || !poll.whenVisible) return;
  poll.whenVisible = false;
  loadFiles({ quiet: true });
});

/** The `detail` of a problem document, else the HTTP status. */
async function problemDetail(res) {
  try {
    return (await res.json()).detail ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`; // not a problem document (e.g. the object store's XML)
  }
}

// ---- downloads ----

/**
 * Downloads a file: the content URL needs the bearer token, which a plain link cannot send. fetch()
 * sends it, follows the redirect to the presigned URL (the browser drops the Authorization header
 * when leaving the origin; the bucket's CORS rule lets this page read the bytes), and the bytes are
 * saved under the file's original name.
 *
 * While an image's variants are still being made, the content URL serves the upload as it arrived
 * (EXIF, GPS and all), so its stripped original is asked for instead — the API makes it on the spot.
 * If the image has no variants (409), the file is downloaded as uploaded.
 */
async function download(event, f) {
  event.preventDefault();
  const link = event.currentTarget;
  link.setAttribute('aria-busy', 'true');
  try {
    const get = (url) => fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    let res = f.variantsStatus === 'pending' ? await get(`/v1/files/${f.id}/variants/original`) : null;
    if (!res || res.status === 409) res = await get(f.links.content);
    if (!res.ok) throw new Error(`download of ${f.name} failed: ${await problemDetail(res)}`);
    const url = URL.createObjectURL(await res.blob());
    const a = el('a', { href: url, download: f.name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (e) {
    say(e.message);
  } finally {
    link.removeAttribute('aria-busy');
  }
}

ui.refresh.addEventListener('click', () => {
  // a thumbnail that could not be fetched gets another try
  for (const entry of shown.values()) if (entry.failed) entry.key = '';
  loadFiles();
});

// ---- start ----

function start(session) {
  token = session.token;
  uploader ??= makeUploader();
  showSignedIn(session);
  showUnfinished();
  loadFiles().then(() => { document.body.dataset.ready = 'true'; });
}

showHealth();
try {
  const session = await signIn();
  if (session) start(session);
  else signOut();
} catch (e) {
  say(`Cannot reach the Stowage API: ${e.message}`);
}
