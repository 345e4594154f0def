// The Stowage web page: sign in (token), upload by drop or file picker, list and download files.
//
// Token: `?token=…` in the address (saved, then removed from the address bar), else the token saved in
// this browser, else — under `stowage dev` only — a dev token from POST /v1/dev/tokens; otherwise the
// page asks for one.
//
// Test hook: when `window.__stowageTestHooks.beforePut` is a function, every PUT to the object store
// first awaits `beforePut(partNumber, attempt, {method, url, size})` (see StowageUploader's
// `beforePut` option): browser tests use it to count, delay or fail PUTs. Nothing on the page sets
// it, so it does nothing in normal use.

import { StowageUploader } from './stowage-upload.js';

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

async function whoAmI(t) {
  const res = await fetch('/v1/me', { headers: { Authorization: `Bearer ${t}` } });
  return res.ok ? res.json() : null;
}

async function signIn() {
  const params = new URLSearchParams(location.search);
  const fromAddress = params.get('token');
  if (fromAddress) {
    localStorage.setItem(TOKEN_KEY, fromAddress);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
  }
  const saved = localStorage.getItem(TOKEN_KEY);
  if (saved) {
    const me = await whoAmI(saved);
    if (me) return { token: saved, me, how: 'saved token' };
    localStorage.removeItem(TOKEN_KEY);
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
  localStorage.removeItem(TOKEN_KEY);
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
  localStorage.setItem(TOKEN_KEY, t);
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

async function loadFiles() {
  if (listing) return listing;
  listing = (async () => {
    try {
      const res = await fetch('/v1/files?limit=100', { headers: { Authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`listing files failed: HTTP ${res.status}`);
      renderFiles((await res.json()).items);
    } catch (e) {
      say(e.message);
    } finally {
      listing = null;
    }
  })();
  return listing;
}

function renderFiles(items) {
  ui.noFiles.hidden = items.length > 0;
  ui.fileRows.replaceChildren(...items.map((f) => {
    const status = el('td', {}, el('span', { className: `badge ${f.status}` }, f.status));
    if (f.reason?.message && f.status !== 'ready') status.append(el('span', { className: 'reason' }, f.reason.message));
    if (f.status === 'ready' && f.scan?.result === 'unscanned') status.append(el('span', { className: 'unscanned' }, 'not scanned for malware'));
    let action = null;
    if (f.status === 'ready') {
      action = el('a', { href: f.links.content, className: 'download', download: f.name, onclick: (e) => download(e, f) }, 'Download');
      action.setAttribute('aria-label', `Download ${f.name}`);
    }
    return el('tr', { dataset: { fileId: f.id, fileName: f.name, status: f.status } },
      el('td', { className: 'name' }, f.name),
      el('td', { className: 'num', title: `${f.size} bytes` }, formatBytes(f.size)),
      el('td', {}, f.contentType ?? ''),
      status,
      el('td', {}, new Date(f.createdAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })),
      el('td', {}, action));
  }));
}

/**
 * Downloads a file: the content URL needs the bearer token, which a plain link cannot send. fetch()
 * sends it, follows the redirect to the presigned URL (the browser drops the Authorization header
 * when leaving the origin; the bucket's CORS rule lets this page read the bytes), and the bytes are
 * saved under the file's original name.
 */
async function download(event, f) {
  event.preventDefault();
  const link = event.currentTarget;
  link.setAttribute('aria-busy', 'true');
  try {
    const res = await fetch(f.links.content, { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) {
      let detail = `HTTP ${res.status}`;
      try {
        detail = (await res.json()).detail ?? detail;
      } catch {
        // not a problem document (e.g. the object store's XML)
      }
      throw new Error(`download of ${f.name} failed: ${detail}`);
    }
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

ui.refresh.addEventListener('click', () => loadFiles());

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
