// Summarises bench/images results: node report.js results.jsonl
// Each line: {"scenario", "round", "result": <the JSON line of ImageBench or sharp_bench.js>}; result.engine is
// "java" or "vips" (Stowage's engines; "stowage" in files from before the libvips engine) or "sharp".
//
// Per process: its time is the median of its measured passes. Per scenario and engine: the median over rounds
// of those times; the ratio is the median over rounds of engine time / Sharp time in the same round (lower is
// faster); peak RSS the highest VmHWM of any of its processes (the median in brackets); output bytes those of
// the last pass of the last round (the outputs are deterministic).
'use strict';
const fs = require('fs');

const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l));
const median = a => {
  const s = [...a].sort((x, y) => x - y), n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const MiB = k => (k / 1024).toFixed(0);
const sumSizes = sizes => {
  const t = { thumb: 0, medium: 0, orig: 0 };
  for (const v of Object.values(sizes)) for (const k of Object.keys(t)) t[k] += v[k];
  return t;
};
const pad = (s, n) => String(s).padStart(n);
const total = b => b.thumb + b.medium + b.orig;

// time goals per engine (ratio to Sharp): the Java engine's from the first benchmark, the libvips engine's
// from its issue; the RSS goal is the same for both (no higher than Sharp's)
const GOALS = {
  java: () => 1.0, stowage: () => 1.0,
  vips: sc => (sc.startsWith('huge') ? 0.5 : 0.75),
};

const scenarios = [...new Set(lines.map(l => l.scenario))];
const engines = [...new Set(lines.map(l => l.result.engine))].filter(e => e !== 'sharp');
const rows = [];
for (const sc of scenarios) {
  const by = { sharp: {} };
  for (const e of engines) by[e] = {};
  for (const l of lines.filter(x => x.scenario === sc)) by[l.result.engine][l.round] = l.result;
  const t = (e, rounds) => rounds.map(r => median(by[e][r].passMs));
  const cpu = (e, rounds) => rounds.map(r => median(by[e][r].passCpuMs));
  const rss = e => Math.max(...Object.values(by[e]).map(x => x.vmHwmKiB));
  const rssMedian = e => median(Object.values(by[e]).map(x => x.vmHwmKiB));
  for (const e of engines) {
    const rounds = Object.keys(by[e]).filter(r => by.sharp[r]).sort((a, b) => a - b);
    if (rounds.length === 0) continue;
    const last = x => by[x][rounds[rounds.length - 1]];
    const te = t(e, rounds), ts = t('sharp', rounds);
    rows.push({
      sc, e, n: rounds.length,
      et: median(te), st: median(ts),
      ratio: median(rounds.map((r, i) => te[i] / ts[i])),
      ratios: rounds.map((r, i) => (te[i] / ts[i]).toFixed(2)),
      ec: median(cpu(e, rounds)), sc_: median(cpu('sharp', rounds)),
      er: rss(e), sr: rss('sharp'), erm: rssMedian(e), srm: rssMedian('sharp'),
      eb: sumSizes(last(e).sizes), sb: sumSizes(last('sharp').sizes),
      errors: { [e]: last(e).errors, sharp: last('sharp').errors },
      files: Object.keys(last('sharp').sizes).length,
    });
  }
}

console.log('\nmedian ms per pass (wall), ratio = engine / Sharp (median of the per-round ratios; < 1 is faster)');
console.log('peak RSS: the highest of the scenario\'s processes (the median in brackets), MiB; CPU: process CPU ms per pass (median)');
console.log('scenario   engine rounds   engine ms  Sharp ms  ratio  (per round)            engine CPU  Sharp CPU  peak RSS engine      Sharp  out bytes engine     Sharp');
for (const r of rows) {
  const rs = (max, med) => `${MiB(max)} (${MiB(med)})`;
  console.log(`${r.sc.padEnd(10)} ${r.e.padEnd(6)} ${pad(r.n, 6)} ${pad(r.et.toFixed(0), 11)} ${pad(r.st.toFixed(0), 9)} ${pad(r.ratio.toFixed(2), 6)}  ${r.ratios.join(' ').padEnd(22)} ${pad(r.ec.toFixed(0), 10)} ${pad(r.sc_.toFixed(0), 10)} ${pad(rs(r.er, r.erm), 16)} ${pad(rs(r.sr, r.srm), 10)} ${pad(total(r.eb), 17)} ${pad(total(r.sb), 9)}`);
}
console.log('\noutput bytes per variant (all files of the scenario, last pass)');
console.log('scenario   engine files    thumb engine    Sharp    medium engine     Sharp    original engine     Sharp');
for (const r of rows) {
  console.log(`${r.sc.padEnd(10)} ${r.e.padEnd(6)} ${pad(r.files, 5)} ${pad(r.eb.thumb, 15)} ${pad(r.sb.thumb, 8)} ${pad(r.eb.medium, 16)} ${pad(r.sb.medium, 9)} ${pad(r.eb.orig, 18)} ${pad(r.sb.orig, 9)}`);
}
for (const r of rows) {
  for (const [who, errs] of Object.entries(r.errors)) {
    for (const [f, m] of Object.entries(errs)) console.log(`error: ${r.sc} ${who} ${f}: ${m}`);
  }
}
console.log('');
for (const r of rows) {
  const goal = (GOALS[r.e] || (() => 1.0))(r.sc);
  const t = r.ratio <= goal, m = r.er <= r.sr;
  console.log(`goal ${r.sc} ${r.e}: time ≤ ${goal}× Sharp's ${t ? 'met' : 'NOT met'} (${r.ratio.toFixed(2)}), peak RSS ≤ Sharp's ${m ? 'met' : 'NOT met'} (${MiB(r.er)} vs ${MiB(r.sr)} MiB)`);
}
