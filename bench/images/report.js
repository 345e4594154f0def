// Summarises bench/images results: node report.js results.jsonl
// Each line: {"scenario", "round", "result": <the JSON line of ImageBench or sharp_bench.js>}.
//
// Per process: its time is the median of its measured passes. Per scenario: the median over rounds of
// those times, the ratio is the median over rounds of Stowage time / Sharp time in the same round (lower is
// faster), peak RSS the highest VmHWM of any of its processes, output bytes those of the last pass of the
// last round (the outputs are deterministic).
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

const scenarios = [...new Set(lines.map(l => l.scenario))];
const rows = [];
for (const sc of scenarios) {
  const by = { stowage: {}, sharp: {} };
  for (const l of lines.filter(x => x.scenario === sc)) by[l.result.engine][l.round] = l.result;
  const rounds = Object.keys(by.stowage).filter(r => by.sharp[r]).sort((a, b) => a - b);
  if (rounds.length === 0) continue;
  const t = e => rounds.map(r => median(by[e][r].passMs));
  const cpu = e => rounds.map(r => median(by[e][r].passCpuMs));
  const last = e => by[e][rounds[rounds.length - 1]];
  const rss = e => Math.max(...Object.values(by[e]).map(x => x.vmHwmKiB));
  const rssMedian = e => median(Object.values(by[e]).map(x => x.vmHwmKiB));
  const errs = e => Object.keys(last(e).errors).length;
  rows.push({
    sc, n: rounds.length,
    jt: median(t('stowage')), st: median(t('sharp')),
    ratio: median(rounds.map((r, i) => t('stowage')[i] / t('sharp')[i])),
    ratios: rounds.map((r, i) => (t('stowage')[i] / t('sharp')[i]).toFixed(2)),
    jc: median(cpu('stowage')), sc_: median(cpu('sharp')),
    jr: rss('stowage'), sr: rss('sharp'), jrm: rssMedian('stowage'), srm: rssMedian('sharp'),
    jb: sumSizes(last('stowage').sizes), sb: sumSizes(last('sharp').sizes),
    je: errs('stowage'), se: errs('sharp'),
    errors: { stowage: last('stowage').errors, sharp: last('sharp').errors },
    files: Object.keys(last('sharp').sizes).length,
  });
}

const total = b => b.thumb + b.medium + b.orig;
console.log('\nmedian ms per pass (wall), ratio = Stowage / Sharp (median of the per-round ratios; < 1 is faster)');
console.log('peak RSS: the highest of the scenario\'s processes (the median in brackets), MiB; CPU: process CPU ms per pass (median)');
console.log('scenario   rounds  Stowage ms  Sharp ms  ratio  (per round)            Stowage CPU  Sharp CPU  peak RSS Stowage      Sharp  out bytes Stowage     Sharp');
for (const r of rows) {
  const rs = (max, med) => `${MiB(max)} (${MiB(med)})`;
  console.log(`${r.sc.padEnd(10)} ${pad(r.n, 6)} ${pad(r.jt.toFixed(0), 11)} ${pad(r.st.toFixed(0), 9)} ${pad(r.ratio.toFixed(2), 6)}  ${r.ratios.join(' ').padEnd(22)} ${pad(r.jc.toFixed(0), 11)} ${pad(r.sc_.toFixed(0), 10)} ${pad(rs(r.jr, r.jrm), 17)} ${pad(rs(r.sr, r.srm), 10)} ${pad(total(r.jb), 18)} ${pad(total(r.sb), 9)}`);
}
console.log('\noutput bytes per variant (all files of the scenario, last pass)');
console.log('scenario   files     thumb Stowage    Sharp    medium Stowage     Sharp    original Stowage     Sharp');
for (const r of rows) {
  console.log(`${r.sc.padEnd(10)} ${pad(r.files, 5)} ${pad(r.jb.thumb, 16)} ${pad(r.sb.thumb, 8)} ${pad(r.jb.medium, 17)} ${pad(r.sb.medium, 9)} ${pad(r.jb.orig, 19)} ${pad(r.sb.orig, 9)}`);
}
for (const r of rows) {
  for (const e of ['stowage', 'sharp']) {
    for (const [f, m] of Object.entries(r.errors[e])) console.log(`error: ${r.sc} ${e} ${f}: ${m}`);
  }
}
console.log('');
for (const r of rows) {
  const t = r.ratio <= 1, m = r.jr <= r.sr;
  console.log(`goal ${r.sc}: time ≤ 1.0× Sharp's ${t ? 'met' : 'NOT met'} (${r.ratio.toFixed(2)}), peak RSS ≤ Sharp's ${m ? 'met' : 'NOT met'} (${MiB(r.jr)} vs ${MiB(r.sr)} MiB)`);
}
