// The admin cost page: loads GET /v1/admin/costs?maxAgeSeconds=… with the console's admin token
// (/admin/console.js), so it opens on a fresh snapshot (the API takes one first when the newest is older
// than MAX_AGE_SECONDS or an account changed since); it says how old the snapshot is and loads again by
// itself once it is older than that. Figures, a chart of bytes per bucket and storage class over the
// snapshots, and one of the monthly cost and its projection. Chart.js comes from its WebJar
// (/webjars/chart.js/…), served by Stowage itself.

import { $, api, bytes, el, fail, signIn, ago } from '/admin/console.js';

/** Snapshots older than this (seconds) are taken again when the page opens or while it stays open. */
const MAX_AGE_SECONDS = 900;
const charts = {};
let takenAt = null;
let current = null;
let loading = false;

const usdFormat = (digits) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (v) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 }).format(v);

/** Decimals that tell ticks `step` apart: at least `min`, enough that one step changes the last digit shown. */
export function decimalsFor(step, min = 0) {
  if (!(step > 0)) return min;
  return Math.max(min, Math.ceil(-Math.log10(step) - 1e-9));
}

/** Tick labels in USD with as many decimals as the tick step needs (never two equal labels). */
function usdTick(value, index, ticks) {
  const step = ticks.length > 1 ? Math.abs(ticks[1].value - ticks[0].value) : Math.abs(value);
  return usdFormat(Math.min(8, decimalsFor(step, 2))).format(value);
}

/** Tick labels in one binary unit chosen by the largest tick, with as many decimals as the step needs. */
function bytesTick(value, index, ticks) {
  const max = Math.max(...ticks.map((t) => Math.abs(t.value)));
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0, scale = 1;
  while (max / scale >= 1024 && i < units.length - 1) { scale *= 1024; i++; }
  const step = ticks.length > 1 ? Math.abs(ticks[1].value - ticks[0].value) / scale : 1;
  const digits = i === 0 ? 0 : Math.min(6, decimalsFor(step, 0));
  return `${(value / scale).toFixed(digits)} ${units[i]}`;
}

const COLOURS = ['#0969da', '#1a7f37', '#bf8700', '#8250df', '#cf222e', '#1b7c83', '#6e7781', '#e16f24'];

function showAge() {
  if (!takenAt) return;
  const r = current;
  $('taken-at').textContent = `Snapshot taken ${ago(takenAt)} (${new Date(takenAt).toLocaleString()}), ${r.priceTable} prices.`
    + ` Taken again when older than ${MAX_AGE_SECONDS / 60} minutes.`;
  $('taken-at').dataset.takenAt = takenAt;
}

function render(report) {
  current = report;
  takenAt = report.takenAt;
  const t = report.totals;
  $('total-bytes').textContent = bytes(t.bytes);
  $('total-bytes').dataset.bytes = t.bytes;
  $('total-objects').textContent = t.objects.toLocaleString('en-US');
  $('monthly-usd').textContent = usd(t.monthlyUsd);
  $('monthly-usd').dataset.usd = t.monthlyUsd;
  $('projected-usd').textContent = usd(t.projectedMonthlyUsd);
  $('projected-usd').dataset.usd = t.projectedMonthlyUsd;
  $('growth').textContent = t.growthBytesPerDay == null ? 'not measured yet' : bytes(t.growthBytesPerDay);
  $('saving-usd').textContent = usd(report.lifecycle.savingMonthlyUsd);
  $('saving-usd').dataset.usd = report.lifecycle.savingMonthlyUsd;
  showAge();

  $('usage-rows').replaceChildren(...report.usage.map((u) => {
    const tr = el('tr');
    tr.dataset.bucket = u.bucket;
    tr.dataset.storageClass = u.storageClass;
    tr.dataset.bytes = u.storeBytes;
    tr.append(el('td', u.bucket), el('td', u.storageClass), el('td', bytes(u.storeBytes), 'num'), el('td', String(u.storeObjects), 'num'),
      el('td', `${bytes(u.databaseBytes)} / ${u.databaseObjects}`, 'num'), el('td', usd(u.monthlyUsd), 'num'));
    return tr;
  }));
  $('user-rows').replaceChildren(...report.topUsers.map((u) => {
    const tr = el('tr');
    tr.dataset.userId = u.userId;
    tr.append(el('td', u.userId), el('td', bytes(u.bytes), 'num'), el('td', String(u.files), 'num'));
    return tr;
  }));
  $('alerts').replaceChildren(...(report.alerts.length ? report.alerts.map((a) => el('li', `${new Date(a.raisedAt).toLocaleString()} — ${a.message}`))
    : [el('li', 'No alerts.')]));

  // chart 1: bytes per bucket and class over the snapshots
  const labels = report.history.map((p) => new Date(p.takenAt).toLocaleString());
  const series = [...new Set(report.history.flatMap((p) => p.usage.map((u) => `${u.bucket} · ${u.storageClass}`)))].sort();
  const usageData = {
    labels,
    datasets: series.map((name, i) => ({
      label: name, backgroundColor: COLOURS[i % COLOURS.length], borderColor: COLOURS[i % COLOURS.length], fill: true,
      data: report.history.map((p) => p.usage.filter((u) => `${u.bucket} · ${u.storageClass}` === name).reduce((s, u) => s + u.bytes, 0)),
    })),
  };
  const costData = {
    labels,
    datasets: [
      { label: 'monthly cost', data: report.history.map((p) => p.monthlyUsd), borderColor: '#0969da', backgroundColor: '#0969da' },
      { label: 'projected', data: report.history.map((p) => p.projectedMonthlyUsd), borderColor: '#cf222e', backgroundColor: '#cf222e', borderDash: [6, 4] },
    ],
  };
  for (const c of Object.values(charts)) c.destroy();
  charts.usage = new Chart($('usage-chart'), {
    type: 'bar', data: usageData,
    options: { animation: false, responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { callback: bytesTick } } } },
  });
  charts.cost = new Chart($('cost-chart'), {
    type: 'line', data: costData,
    options: { animation: false, responsive: true, scales: { y: { beginAtZero: true, ticks: { callback: usdTick } } } },
  });
  for (const id of ['summary', 'charts', 'tables']) $(id).hidden = false;
  document.body.dataset.ready = 'true';
}

async function load(method = 'GET', path = `/v1/admin/costs?maxAgeSeconds=${MAX_AGE_SECONDS}`) {
  if (loading) return;
  loading = true;
  $('refresh').disabled = true;
  try {
    render(await api(method, path));
  } catch (e) {
    fail(e.message);
  } finally {
    loading = false;
    $('refresh').disabled = false;
  }
}

/** Every 30 s: the age shown moves on, and a snapshot older than the threshold is taken again (tab visible only). */
function keepFresh() {
  setInterval(() => {
    showAge();
    if (takenAt && !document.hidden && Date.now() - new Date(takenAt).getTime() > MAX_AGE_SECONDS * 1000) load();
  }, 30_000);
}

async function main() {
  if (typeof Chart === 'undefined') return fail('the charting library did not load');
  if (!(await signIn())) return;
  $('refresh').addEventListener('click', () => load('POST', '/v1/admin/costs/snapshot'));
  await load();
  keepFresh();
}

main();
