// The migrations page: GET /v1/admin/migrations lists the runs of `stowage migrate run` from the migration
// journal, each with files and bytes by state, its progress, the rate of the last minute and an ETA at
// that rate (unknown when nothing was copied in the last minute). It loads again every 30 s.

import { $, api, bytes, el, fail, signIn, when } from '/admin/console.js';

function duration(s) {
  if (s == null) return 'unknown (nothing copied in the last minute)';
  if (s === 0) return 'done';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

function figure(label, value, id) {
  const d = el('div');
  const dd = el('dd', value);
  if (id) dd.dataset.figure = id;
  d.append(el('dt', label), dd);
  return d;
}

function run(r) {
  const sum = (m) => Object.values(m).reduce((a, b) => a + b, 0);
  const totalBytes = sum(r.bytes);
  const doneBytes = (r.bytes.done ?? 0) + (r.bytes.quarantined ?? 0);
  const box = el('article', undefined, 'run');
  box.dataset.run = r.run;
  const title = el('h3', r.source);
  const meta = el('p', `Run ${r.run}, started ${when(r.createdAt)}; ${r.walkedAt ? `tree walked ${when(r.walkedAt)}` : 'walk not finished'}.`, 'hint');
  const bar = el('progress');
  bar.max = Math.max(1, totalBytes);
  bar.value = doneBytes;
  bar.setAttribute('aria-label', `Progress of ${r.source}`);
  const pct = totalBytes ? Math.floor((doneBytes / totalBytes) * 1000) / 10 : 100;
  const figures = el('dl', undefined, 'figures');
  figures.append(
    figure('Done', `${(r.files.done ?? 0).toLocaleString('en-US')} files, ${bytes(doneBytes)} (${pct} %)`, 'done'),
    figure('Left', `${r.leftFiles.toLocaleString('en-US')} files, ${bytes(r.leftBytes)}`, 'left'),
    figure('Rate (last minute)', `${(r.lastMinute.files / 60).toFixed(1)} files/s, ${bytes(Math.round(r.lastMinute.bytes / 60))}/s`, 'rate'),
    figure('ETA', duration(r.etaSeconds), 'eta'),
    figure('Quarantined, skipped, failed', `${r.files.quarantined ?? 0}, ${r.files.skipped ?? 0}, ${r.files.failed ?? 0}`, 'other'));
  box.append(title, meta, bar, figures);
  const outcomes = Object.entries(r.outcomes);
  if (outcomes.length) box.append(el('p', `Outcomes: ${outcomes.map(([k, v]) => `${k} ${v}`).join(', ')}.`, 'hint'));
  return box;
}

async function load() {
  try {
    const r = await api('GET', '/v1/admin/migrations');
    $('runs').replaceChildren(...r.runs.map(run));
    $('empty').hidden = r.runs.length > 0;
    $('content').hidden = false;
    document.body.dataset.ready = 'true';
  } catch (e) {
    fail(e.message);
  }
}

async function main() {
  if (!(await signIn())) return;
  $('reload').addEventListener('click', load);
  await load();
  setInterval(() => { if (!document.hidden) load(); }, 30_000);
}

main();
