// The Stowage web page: sign in (token), upload by drop or file picker, list files (with thumbnails of
// images; searched and filtered by the API), preview, download, delete with undo and restore them, and show
// the quota.
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
import { signIn as signInWith, whoAmI } from './token-link.js';

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
  quota: $('quota'), quotaMeter: $('quota-meter'), quotaText: $('quota-text'),
  viewFiles: $('view-files'), viewDeleted: $('view-deleted'), filters: $('filters'), filterQ: $('filter-q'),
  filterType: $('filter-type'), filterStatus: $('filter-status'), filterStatusField: $('filter-status-field'),
  deletedHelp: $('deleted-help'), caption: $('files-caption'), more: $('more-files'),
  preview: $('preview'), previewTitle: $('preview-title'), previewBody: $('preview-body'), previewClose: $('preview-close'),
  previewDownload: $('preview-download'), toast: $('toast'), toastText: $('toast-text'), toastUndo: $('toast-undo'),
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
  const { session, outcome } = await signInWith(TOKEN_KEY, { into: document.querySelector('main'), onRefused: (t) => say(t) });
  if (outcome === 'refused') say('The token in the link was refused; the account in use did not change.');
  if (outcome === 'kept') say(session ? `Still signed in as ${session.me.userId}; the link was not used.` : 'The link was not used.', 'info');
  return session;
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
//
// Two views: the files (filtered on the server by name, type and status) and the recently deleted ones
// (status=deleted), each file restorable until its `restorableUntil`. A filtered page of the API may hold
// fewer files than asked, even none, while it still has a next cursor (each request reads a bounded window
// of the user's files): the list follows cursors until it has a screenful or has read a few pages.

const PAGE_SIZE = 100;
const MAX_PAGES_PER_LOAD = 10;
const view = { deleted: false, q: '', type: '', status: '', wanted: PAGE_SIZE };
let listing = null;
let listAgain = false;

/** The listing's query string for the view and filters on show (without the cursor). */
function listQuery() {
  const p = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (view.q) p.set('q', view.q);
  if (view.type) p.set('type', view.type);
  if (view.deleted) p.set('status', 'deleted');
  else if (view.status) p.set('status', view.status);
  return p;
}

/** Lists the files again and shows them; `quiet` leaves a failure unsaid (the next poll tries again). */
async function loadFiles({ quiet = false } = {}) {
  if (listing) {
    listAgain = true; // the view or a filter changed while a listing ran: list once more after it
    return listing;
  }
  listing = (async () => {
    try {
      const items = [];
      let cursor = '';
      let pages = 0;
      const query = listQuery();
      do {
        if (cursor) query.set('cursor', cursor);
        const res = await fetch(`/v1/files?${query}`, { headers: { Authorization: `Bearer ${token}` } });
        if (!res.ok) throw new Error(`listing files failed: ${await problemDetail(res)}`);
        const page = await res.json();
        items.push(...page.items);
        cursor = page.nextCursor;
        pages++;
      } while (cursor && items.length < view.wanted && pages < MAX_PAGES_PER_LOAD);
      renderFiles(items, Boolean(cursor));
      showUsage();
    } catch (e) {
      if (!quiet) say(e.message);
      pollLater(null);
    } finally {
      listing = null;
    }
    if (listAgain) {
      listAgain = false;
      await loadFiles({ quiet });
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

function filtered() {
  return Boolean(view.q || view.type || (!view.deleted && view.status));
}

function renderFiles(items, more = false) {
  ui.noFiles.hidden = items.length > 0;
  ui.noFiles.textContent = view.deleted ? 'Nothing was deleted recently.'
    : filtered() ? 'No files match the search and filters.' : 'No files yet.';
  ui.more.hidden = !more;
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
  return JSON.stringify([view.deleted, f.name, f.size, f.contentType, f.status, f.reason?.message, f.scan?.result, f.scan?.signature,
    f.createdAt, f.restorableUntil, f.variantsStatus, f.variantsReason?.code, thumbOf(f)]);
}

const IN_PROGRESS = ['uploaded', 'verifying', 'scanning'];
const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** What a status means to the person looking at the list: a short label and a line of explanation. */
function statusText(f) {
  switch (f.status) {
    case 'pending': return ['waiting for upload', 'the upload has not finished'];
    case 'uploaded': case 'verifying': return ['checking', 'checking size, checksum and type'];
    case 'scanning': return ['checking', f.reason?.message ?? 'scanning for malware'];
    case 'ready': return ['ready', f.scan?.result === 'unscanned' ? 'not scanned for malware' : ''];
    case 'rejected': return ['rejected', f.reason?.message || 'not accepted'];
    case 'quarantined': return ['quarantined', `malware found${f.scan?.signature ? `: ${f.scan.signature}` : ''}; never served`];
    case 'deleted': return ['deleted', restoreNote(f)];
    case 'expired': return ['expired', f.reason?.message || 'the upload did not finish in time'];
    case 'cancelled': return ['cancelled', ''];
    default: return [f.status, ''];
  }
}

/** Whether a deleted file's restore window is still open. */
const restorable = (f) => f.status === 'deleted' && (!f.restorableUntil || Date.parse(f.restorableUntil) > Date.now());

function restoreNote(f) {
  if (!f.restorableUntil) return `deleted ${when(f.deletedAt)}`;
  return restorable(f) ? `restorable until ${when(f.restorableUntil)}`
    : `cannot be restored: the restore window ended ${when(f.restorableUntil)}; it will be removed for good`;
}

/** A name as text whose extension never wraps on its own line. */
function nameText(name) {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.length - dot > 12) return [name];
  return [name.slice(0, dot), el('span', { className: 'ext' }, name.slice(dot))];
}

/** A MIME type that may wrap after its slash, dots and dashes only (application/<wbr>vnd.<wbr>oasis.<wbr>…). */
function typeText(type) {
  return type.split(/(?<=[/.-])/).flatMap((part, i) => (i ? [el('wbr'), part] : [part]));
}

const previewable = (f) => f.status === 'ready';

/** A new row for a file; `old` is the row it replaces, whose thumbnail it takes over when it shows the same variant. */
function fileRow(f, key, old) {
  const entry = { key, row: null, thumb: null, url: null, thumbKey: null, abort: null, failed: false, gone: false };
  const [label, note] = statusText(f);
  const kind = IN_PROGRESS.includes(f.status) ? 'progress' : f.status;
  const status = el('td', { className: 'file-status', dataset: { label: 'Status' } }, el('span', { className: `badge ${kind}` }, label));
  if (note) status.append(el('span', { className: f.status === 'ready' ? 'unscanned' : 'reason' }, note));
  const actions = el('td', { className: 'actions' });
  if (f.status === 'ready') {
    const dl = el('a', { href: f.links.content, className: 'download', download: f.name, onclick: (e) => download(e, f) }, 'Download');
    dl.setAttribute('aria-label', `Download ${f.name}`);
    const del = el('button', { type: 'button', className: 'secondary delete', onclick: () => deleteFile(f, entry) }, 'Delete');
    del.setAttribute('aria-label', `Delete ${f.name}`);
    actions.append(dl, del);
  } else if (f.status === 'deleted') {
    if (restorable(f)) {
      const re = el('button', { type: 'button', className: 'secondary restore', onclick: (e) => restoreFile(f, e.currentTarget) }, 'Restore');
      re.setAttribute('aria-label', `Restore ${f.name}`);
      actions.append(re);
    } else {
      actions.append(el('span', { className: 'reason' }, 'Restore window over'));
    }
  }
  const name = el('td', { className: 'name', dataset: { label: 'Name' } });
  if (previewable(f)) {
    const open = el('button', { type: 'button', className: 'link open', title: f.name, onclick: () => openPreview(f, open) }, ...nameText(f.name));
    open.setAttribute('aria-haspopup', 'dialog');
    name.append(open);
  } else {
    name.append(el('span', { title: f.name }, ...nameText(f.name)));
  }
  entry.thumb = thumbCell(f, entry, old);
  if (previewable(f)) {
    entry.thumb.classList.add('clickable');
    entry.thumb.addEventListener('click', () => openPreview(f, name.querySelector('button')));
  }
  entry.row = el('tr', { dataset: { fileId: f.id, fileName: f.name, status: f.status } },
    entry.thumb,
    name,
    el('td', { className: 'num', title: `${f.size} bytes`, dataset: { label: 'Size' } }, formatBytes(f.size)),
    el('td', { className: 'type', dataset: { label: 'Type' } }, el('span', { title: f.contentType ?? '' }, ...typeText(f.contentType ?? ''))),
    status,
    el('td', { className: 'added', dataset: { label: view.deleted ? 'Deleted' : 'Added' } }, when(view.deleted && f.deletedAt ? f.deletedAt : f.createdAt)),
    actions);
  return entry;
}

// ---- delete, undo, restore ----

let toastTimer = 0;
let undoAction = null;

function toast(text, undo) {
  clearTimeout(toastTimer);
  ui.toastText.textContent = text;
  undoAction = undo;
  ui.toastUndo.hidden = !undo;
  ui.toast.hidden = false;
  toastTimer = setTimeout(hideToast, 12_000);
}

function hideToast() {
  clearTimeout(toastTimer);
  ui.toast.hidden = true;
  undoAction = null;
}

ui.toastUndo.addEventListener('click', () => {
  const undo = undoAction;
  hideToast();
  undo?.();
});

async function api(method, path) {
  const res = await fetch(path, { method, headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(await problemDetail(res));
  return res.json();
}

/** Deletes a file: its row goes at once, and a toast offers to undo (restore) it. */
async function deleteFile(f, entry) {
  const rows = [...ui.fileRows.children];
  const focusNext = rows[rows.indexOf(entry.row) + 1] ?? rows[rows.indexOf(entry.row) - 1];
  dropRow(entry);
  shown.delete(f.id);
  ui.noFiles.hidden = shown.size > 0;
  (focusNext?.querySelector('button, a') ?? ui.filterQ).focus();
  try {
    await api('DELETE', `/v1/files/${f.id}`);
    toast(`Deleted ${f.name}`, () => restoreFile(f));
    showUsage();
  } catch (e) {
    say(`${f.name} was not deleted: ${e.message}`);
    loadFiles();
  }
}

async function restoreFile(f, button) {
  button?.setAttribute('aria-busy', 'true');
  try {
    await api('POST', `/v1/files/${f.id}/restore`);
    toast(`Restored ${f.name}`, null);
  } catch (e) {
    say(`${f.name} was not restored: ${e.message}`);
  } finally {
    button?.removeAttribute('aria-busy');
    loadFiles();
  }
}

// ---- views and filters ----

function setView(deleted) {
  view.deleted = deleted;
  view.wanted = PAGE_SIZE;
  ui.viewFiles.setAttribute('aria-pressed', String(!deleted));
  ui.viewDeleted.setAttribute('aria-pressed', String(deleted));
  ui.filterStatusField.hidden = deleted;
  ui.deletedHelp.hidden = !deleted;
  ui.caption.textContent = deleted ? 'Recently deleted files' : 'Your files';
  document.querySelector('#file-table th.added').textContent = deleted ? 'Deleted' : 'Added';
  loadFiles();
}

ui.viewFiles.addEventListener('click', () => setView(false));
ui.viewDeleted.addEventListener('click', () => setView(true));
ui.more.addEventListener('click', () => {
  view.wanted += PAGE_SIZE;
  loadFiles();
});

let searchTimer = 0;
function readFilters() {
  view.q = ui.filterQ.value.trim();
  view.type = ui.filterType.value;
  view.status = ui.filterStatus.value;
  view.wanted = PAGE_SIZE;
  loadFiles();
}
ui.filterQ.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(readFilters, 250);
});
ui.filterType.addEventListener('change', readFilters);
ui.filterStatus.addEventListener('change', readFilters);
ui.filters.addEventListener('submit', (e) => {
  e.preventDefault();
  clearTimeout(searchTimer);
  readFilters();
});

// ---- quota ----

/** A byte count in binary units (KiB, MiB, GiB), as quotas are set. */
export function formatIBytes(bytes) {
  if (!Number.isFinite(bytes)) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${new Intl.NumberFormat('en', { maximumFractionDigits: v < 10 ? 1 : 0 }).format(v)} ${units[i]}`;
}

/** Used and reserved bytes of the quota (GET /v1/usage), warning from 90 %. */
async function showUsage() {
  try {
    const u = await api('GET', '/v1/usage');
    const taken = u.usedBytes + u.reservedBytes;
    const share = u.quotaBytes > 0 ? taken / u.quotaBytes : 1;
    ui.quota.hidden = false;
    ui.quotaMeter.max = Math.max(1, u.quotaBytes);
    ui.quotaMeter.low = Math.max(1, u.quotaBytes) * 0.75;
    ui.quotaMeter.high = Math.max(1, u.quotaBytes) * 0.9;
    ui.quotaMeter.value = Math.min(taken, Math.max(1, u.quotaBytes));
    ui.quota.dataset.used = String(u.usedBytes);
    ui.quota.dataset.reserved = String(u.reservedBytes);
    ui.quota.dataset.quota = String(u.quotaBytes);
    ui.quota.classList.toggle('warn', share >= 0.9);
    ui.quotaText.textContent = `${formatIBytes(taken)} of ${formatIBytes(u.quotaBytes)} used`
      + (u.reservedBytes ? ` (${formatIBytes(u.reservedBytes)} held for uploads in progress)` : '')
      + (share >= 1 ? ' — full: delete files to upload more' : share >= 0.9 ? ' — nearly full' : '');
  } catch {
    ui.quota.hidden = true;
  }
}

// ---- preview ----
//
// A modal <dialog> (the rest of the page is inert while it is open, Esc closes it): an image shows its
// `medium` variant (else `original`, else `thumb`, else the content), fetched with the token and shown
// through an object URL; a PDF opens in the browser's own viewer, in a frame of the short presigned GET
// that /content redirects to (the page's CSP allows frames of the store's origins only); other types say
// there is no preview and offer the download.

let previewUrl = null;
let previewOpener = null;
let previewAbort = null;

async function openPreview(f, opener) {
  previewOpener = opener;
  closePreviewContent();
  ui.previewTitle.textContent = f.name;
  ui.preview.dataset.fileId = f.id;
  ui.previewDownload.href = f.links.content;
  ui.previewDownload.onclick = (e) => download(e, f);
  ui.previewDownload.setAttribute('aria-label', `Download ${f.name}`);
  const loading = el('p', { className: 'hint' }, 'Loading preview…');
  ui.previewBody.replaceChildren(loading);
  ui.preview.dataset.kind = 'loading';
  if (!ui.preview.open) ui.preview.showModal();
  ui.previewClose.focus();
  previewAbort = new AbortController();
  const signal = previewAbort.signal;
  try {
    const type = (f.contentType ?? '').toLowerCase();
    if (type.startsWith('image/') && f.variantsStatus !== 'failed') {
      const names = ['medium', 'original', 'thumb'];
      const v = names.map((n) => f.variants?.find((x) => x.name === n)).find(Boolean);
      const res = await fetch(v?.url ?? f.links.content, { headers: { Authorization: `Bearer ${token}` }, signal });
      if (!res.ok) throw new Error(await problemDetail(res));
      previewUrl = URL.createObjectURL(await res.blob());
      const img = el('img', { src: previewUrl, alt: f.name, className: 'preview-image' });
      ui.previewBody.replaceChildren(img);
      ui.preview.dataset.kind = 'image';
    } else if (type === 'application/pdf') {
      // only the address matters: the first byte is asked for, and the body is dropped
      const res = await fetch(f.links.content, { headers: { Authorization: `Bearer ${token}`, Range: 'bytes=0-0' }, signal });
      if (!res.ok) throw new Error(await problemDetail(res));
      const frame = el('iframe', { src: res.url, title: `PDF preview of ${f.name}`, className: 'preview-pdf' });
      res.body?.cancel().catch(() => {});
      ui.previewBody.replaceChildren(frame);
      ui.preview.dataset.kind = 'pdf';
    } else {
      ui.previewBody.replaceChildren(el('p', { className: 'no-preview' },
        `No preview for ${type || 'this type'}${f.variantsStatus === 'failed' ? ` (${f.variantsReason?.message ?? 'the image could not be read'})` : ''}. Download it to open it.`));
      ui.preview.dataset.kind = 'none';
    }
  } catch (e) {
    if (signal.aborted) return;
    ui.previewBody.replaceChildren(el('p', { className: 'reason' }, `The preview could not be loaded: ${e.message}`));
    ui.preview.dataset.kind = 'error';
  }
}

function closePreviewContent() {
  previewAbort?.abort();
  previewAbort = null;
  ui.previewBody.replaceChildren();
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
}

ui.previewClose.addEventListener('click', () => ui.preview.close());
// a modal dialog keeps the rest of the page inert, but Tab from its last control would leave for the browser's
// own controls: it goes round to the first instead (and Shift+Tab from the first to the last)
ui.preview.addEventListener('keydown', (e) => {
  if (e.key !== 'Tab') return;
  const controls = [...ui.preview.querySelectorAll('button, a[href], iframe, [tabindex]:not([tabindex="-1"])')]
    .filter((c) => !c.hidden && c.getClientRects().length > 0);
  if (!controls.length) return;
  const first = controls[0];
  const last = controls[controls.length - 1];
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
});
ui.preview.addEventListener('close', () => {
  closePreviewContent();
  delete ui.preview.dataset.kind;
  if (previewOpener?.isConnected) previewOpener.focus();
  previewOpener = null;
});
// a click on the backdrop (outside the dialog's box) closes it too
ui.preview.addEventListener('click', (e) => {
  if (e.target !== ui.preview) return;
  const r = ui.preview.getBoundingClientRect();
  if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) ui.preview.close();
});

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
  ui.deletedHelp.textContent = 'Deleted files can be restored for a while (each says until when); after that they are removed for good.';
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
