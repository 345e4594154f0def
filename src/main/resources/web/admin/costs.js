// The admin cost page: loads GET /v1/admin/costs with an admin token (the one saved in this tab, else —
// under `stowage dev` only — a dev admin token; a `?token=…` link is used only after the user confirms
// its account, see /token-link.js), shows the figures, a chart of
// bytes per bucket and storage class over the snapshots, and one of the monthly cost and its projection.
// Chart.js comes from its WebJar (/webjars/chart.js/…), served by Stowage itself.

import { chooseAccount, savedToken, tokenFromAddress, whoAmI } from '/token-link.js';

const TOKEN_KEY = 'stowage.adminToken';
const $ = (id) => document.getElementById(id);
let token = null;
const charts = {};

const usd = (v) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 }).format(v);
function bytes(b) {
  if (b < 1024) return `${b} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = b, i = -1;
  do { v /= 1024; i++; } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(1)} ${units[i]}`;
}
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function fail(text) {
  $('error').textContent = text;
  $('error').hidden = false;
  document.body.dataset.ready = 'error';
}

async function findToken() {
  const fromUrl = tokenFromAddress();
  const current = await currentSession();
  if (!fromUrl) return current?.token ?? null;
  const { session, outcome } = await chooseAccount(fromUrl, current, document.querySelector('main'));
  if (outcome === 'refused') {
    $('error').textContent = 'The token in the link was refused; the account in use did not change.';
    $('error').hidden = false;
  }
  if (outcome === 'same' || outcome === 'switched') sessionStorage.setItem(TOKEN_KEY, session.token);
  return session?.token ?? null;
}

/** The account in use before any link: the saved token, else (under dev) a dev admin token, else null. */
async function currentSession() {
  const saved = savedToken(TOKEN_KEY);
  if (saved) {
    const me = await whoAmI(saved);
    if (me) return { token: saved, me };
    sessionStorage.removeItem(TOKEN_KEY);
  }
  const r = await fetch('/v1/dev/tokens', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userId: 'dev-admin', roles: ['admin'] }) });
  if (!r.ok) return null;
  const dev = (await r.json()).token;
  const me = await whoAmI(dev);
  return me ? { token: dev, me } : null;
}

async function api(method, path) {
  const r = await fetch(path, { method, headers: { Authorization: `Bearer ${token}` } });
  const body = await r.json();
  if (!r.ok) throw new Error(`${body.title ?? r.status}: ${body.detail ?? ''} (${body.code ?? ''})`);
  return body;
}

const COLOURS = ['#0969da', '#1a7f37', '#bf8700', '#8250df', '#cf222e', '#1b7c83', '#6e7781', '#e16f24'];

function render(report) {
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
  $('taken-at').textContent = `Snapshot of ${new Date(report.takenAt).toLocaleString()}, ${report.priceTable} prices.`;

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
    options: { animation: false, responsive: true, scales: { x: { stacked: true }, y: { stacked: true, ticks: { callback: (v) => bytes(v) } } } },
  });
  charts.cost = new Chart($('cost-chart'), {
    type: 'line', data: costData,
    options: { animation: false, responsive: true, scales: { y: { beginAtZero: true, ticks: { callback: (v) => usd(v) } } } },
  });
  for (const id of ['summary', 'charts', 'tables']) $(id).hidden = false;
  document.body.dataset.ready = 'true';
}

async function load(method = 'GET', path = '/v1/admin/costs') {
  try {
    render(await api(method, path));
  } catch (e) {
    fail(e.message);
  }
}

async function main() {
  if (typeof Chart === 'undefined') return fail('the charting library did not load');
  token = await findToken();
  if (!token) {
    $('who').textContent = 'Not signed in';
    $('token-form').hidden = false;
    $('token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $('token-input').value.trim());
      location.reload();
    });
    return;
  }
  try {
    const me = await api('GET', '/v1/me');
    $('who').textContent = `Signed in as ${me.userId}`;
  } catch (e) {
    return fail(e.message);
  }
  $('refresh').addEventListener('click', () => load('POST', '/v1/admin/costs/snapshot'));
  await load();
}

main();
