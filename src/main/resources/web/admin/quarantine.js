// The quarantine page: GET /v1/admin/quarantine lists quarantined files, newest first, with the scanner's
// verdict (the signature it found), owner, size and time. Release asks the API to re-scan the quarantine copy
// and release the file only when it is clean (still infected: the row stays and says so); Purge deletes the
// quarantine copy and moves the file to purged, after the operator confirms.

import { $, api, bytes, el, fail, say, signIn, when } from '/admin/console.js';

let next = null;

function act(f, tr, kind) {
  return async () => {
    if (kind === 'purge' && !confirm(`Purge ${f.name}? Its quarantine copy is deleted for good.`)) return;
    for (const b of tr.querySelectorAll('button')) b.disabled = true;
    const note = tr.querySelector('.outcome');
    note.textContent = kind === 'release' ? 'Re-scanning…' : 'Purging…';
    try {
      const r = await api('POST', `/v1/admin/quarantine/${f.id}/${kind}`);
      tr.dataset.outcome = r.status;
      note.textContent = kind === 'release' ? 'Clean on re-scan: released, ready.' : 'Purged.';
      note.className = 'outcome ok-text';
      say(`${f.name}: ${note.textContent}`);
    } catch (e) {
      tr.dataset.outcome = e.code ?? 'error';
      note.textContent = e.code === 'still_infected' ? `Still infected: ${e.message}` : e.message;
      note.className = 'outcome bad-text';
      say(`${f.name}: ${note.textContent}`);
      for (const b of tr.querySelectorAll('button')) b.disabled = false;
    }
  };
}

function row(f) {
  const tr = el('tr');
  tr.dataset.fileId = f.id;
  const name = el('td', undefined, 'wrap');
  name.append(el('span', f.name), el('span', `${f.id} · ${f.contentType} · ${f.source}`, 'reason'));
  const verdict = el('td', f.signature ?? '—', 'verdict');
  const action = el('td');
  const buttons = el('div', undefined, 'actions');
  const release = el('button', 'Release', 'secondary');
  release.type = 'button';
  release.dataset.action = 'release';
  release.setAttribute('aria-label', `Re-scan and release ${f.name}`);
  const purge = el('button', 'Purge', 'secondary');
  purge.type = 'button';
  purge.dataset.action = 'purge';
  purge.setAttribute('aria-label', `Purge ${f.name}`);
  release.addEventListener('click', act(f, tr, 'release'));
  purge.addEventListener('click', act(f, tr, 'purge'));
  buttons.append(release, purge);
  action.append(buttons, el('span', '', 'outcome reason'));
  tr.append(name, verdict, el('td', f.ownerId, 'wrap'), el('td', bytes(f.sizeBytes), 'num'), el('td', when(f.quarantinedAt)), action);
  return tr;
}

async function load(cursor) {
  const q = new URLSearchParams({ limit: '50' });
  if (cursor) q.set('cursor', cursor);
  try {
    const page = await api('GET', `/v1/admin/quarantine?${q}`);
    next = page.next;
    $('scanner-note').textContent = page.scanner ? `Scanner: ${page.scanner}.` : 'No scanner is configured: files cannot be released (a release needs a clean re-scan).';
    const rows = page.files.map(row);
    if (cursor) $('quarantine-rows').append(...rows);
    else $('quarantine-rows').replaceChildren(...rows);
    $('more').hidden = !next;
    $('empty').hidden = $('quarantine-rows').children.length > 0;
    $('content').hidden = false;
    document.body.dataset.ready = 'true';
  } catch (e) {
    fail(e.message);
  }
}

async function main() {
  if (!(await signIn())) return;
  $('more').addEventListener('click', () => load(next));
  $('first').addEventListener('click', () => load(null));
  await load(null);
}

main();
