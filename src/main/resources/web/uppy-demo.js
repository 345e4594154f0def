// The Uppy demo page (/uppy.html): Uppy's Dashboard, Golden Retriever and AwsS3 plugins, bundled at build time
// and served by Stowage itself (/vendor/uppy/…), with the AwsS3 options of /stowage-uppy.js.
//
// Signing in is the main page's: the token saved in this tab (sessionStorage, key `stowage.token`, shared with
// /), a `?token=` link confirmed by the user (token-link.js), else — under `stowage dev` only — a dev token.
// The token lives in sessionStorage and in stowage-uppy.js's closure; Golden Retriever saves Uppy's state
// (file names, progress, the Stowage upload id and key) in localStorage and the chosen files in IndexedDB,
// never the token. After a reload, the Dashboard's Upload button continues an interrupted multipart upload:
// AwsS3 asks listParts (GET /v1/uploads/{id}) and sends only the parts not stored yet.
//
// The Activity list records what this page life did (`data-event`: created, listed, signed, part, done, error),
// for people and for the browser tests.

import { AwsS3, Dashboard, GoldenRetriever, Uppy } from '/vendor/uppy/dist/uppy.min.mjs';
import { stowageAwsS3Options } from './stowage-uppy.js';
import { signIn as signInWith, whoAmI } from './token-link.js';

const TOKEN_KEY = 'stowage.token';
const MiB = 1024 * 1024;
const $ = (id) => document.getElementById(id);
let token = null;

function say(text, kind = 'error') {
  const p = document.createElement('p');
  p.className = kind;
  p.textContent = text;
  $('messages').append(p);
}

/** Adds a line to the Activity list; `data` become `data-*` attributes. */
function log(event, text, data = {}) {
  const li = document.createElement('li');
  li.dataset.event = event;
  for (const [k, v] of Object.entries(data)) li.dataset[k] = String(v);
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('log').append(li);
}

// ---- token (as on the main page) ----

async function signIn() {
  const { session, outcome } = await signInWith(TOKEN_KEY, { into: document.querySelector('main'), onRefused: (t) => say(t) });
  if (outcome === 'refused') say('The token in the link was refused; the account in use did not change.');
  return session;
}

$('token-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const t = $('token-input').value.trim();
  const me = t ? await whoAmI(t) : null;
  if (!me) {
    say('That token was refused.');
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, t);
  $('token-input').value = '';
  start({ token: t, me, how: 'saved token' });
});

// ---- Uppy ----

let uppy = null;

async function start(session) {
  token = session.token;
  $('who').textContent = `Signed in as ${session.me.userId} (${session.me.plan} plan, ${session.how})`;
  $('token-form').hidden = true;
  $('upload-section').hidden = false;
  if (uppy) return; // a token entered later only replaces the token the options read

  const options = await stowageAwsS3Options({ getToken: () => token });
  // the Activity list: what the page asked Stowage for
  const { createMultipartUpload, listParts, signPart } = options;
  options.createMultipartUpload = async (file) => {
    const r = await createMultipartUpload(file);
    log('created', `${file.name}: multipart upload ${r.uploadId}`, { uploadId: r.uploadId, name: file.name });
    return r;
  };
  options.listParts = async (file, o) => {
    const parts = await listParts(file, o);
    const numbers = parts.map((p) => p.PartNumber);
    log('listed', `${file.name}: upload ${o.uploadId} resumes; parts already stored: ${numbers.join(', ') || 'none'}`,
      { uploadId: o.uploadId, parts: numbers.join(','), name: file.name });
    return parts;
  };
  options.signPart = async (file, o) => {
    const r = await signPart(file, o);
    log('signed', `${file.name}: part ${o.partNumber} signed`, { uploadId: o.uploadId, part: o.partNumber, name: file.name });
    return r;
  };

  uppy = new Uppy({ id: 'stowage', autoProceed: false })
    .use(Dashboard, {
      inline: true, target: '#uppy', width: '100%', height: 360, proudlyDisplayPoweredByUppy: false,
      note: 'Images, PDF, office documents, text and CSV.',
    })
    // files up to 1 GiB are kept in IndexedDB for a resume after a reload (the default keeps 10 MiB)
    .use(GoldenRetriever, { indexedDB: { maxFileSize: 1024 * MiB, maxTotalSize: 2048 * MiB } })
    .use(AwsS3, { ...options, limit: 4 });

  // Uppy 5's Dashboard renders a single file as a `listitem` outside any `list` (an ARIA error screen readers
  // trip on); its file area is given the list role it lacks (Preact leaves attributes it does not set alone)
  const listRole = () => document.querySelectorAll('#uppy .uppy-Dashboard-files:not([role])').forEach((e) => e.setAttribute('role', 'list'));
  new MutationObserver(listRole).observe($('uppy'), { childList: true, subtree: true });
  listRole();

  uppy.on('s3-multipart:part-uploaded', (file, part) =>
    log('part', `${file.name}: part ${part.PartNumber} stored`, { part: part.PartNumber, name: file.name }));
  uppy.on('upload-success', (file, res) => {
    const { fileId, status } = res.body;
    log('done', `${file.name}: ${status}`, { fileId, status, name: file.name });
    const li = document.createElement('li');
    li.dataset.fileId = fileId;
    li.dataset.fileName = file.name;
    li.dataset.status = status;
    const name = document.createElement('span');
    name.textContent = file.name;
    const state = document.createElement('span');
    state.className = 'state';
    state.textContent = status;
    li.append(name, state);
    $('results').append(li);
    $('results-section').hidden = false;
  });
  uppy.on('upload-error', (file, error) => log('error', `${file?.name}: ${error.message}`, { name: file?.name ?? '', code: error.code ?? '' }));
  uppy.on('restored', () => log('restored', 'unfinished uploads restored: press Upload to continue'));
  document.body.dataset.ready = 'true';
}

signIn().then((session) => {
  if (session) return start(session);
  $('who').textContent = 'Not signed in';
  $('token-form').hidden = false;
  document.body.dataset.ready = 'true';
  return undefined;
}).catch((e) => {
  say(e.message);
  document.body.dataset.ready = 'error';
});
