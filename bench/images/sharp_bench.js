// Sharp engine: the three-variant job. Usage:
// node sharp_bench.js --threads N --passes P --warmup W --out DIR --list FILE [--vipsThreads K]
//
// The reference driver of the project's image-engine measurements (shared notes, images.md), used as
// given except: sharp is loaded from ./sharp/node_modules (installed by run.sh from sharp/package.json),
// and the JSON also carries vmHwmKiB, the peak RSS of this process at the end (/proc/self/status).
'use strict';
const fs = require('fs');
const path = require('path');
const sharp = require(path.join(__dirname, 'sharp', 'node_modules', 'sharp'));

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const threads = +(args.threads || 1), passes = +(args.passes || 1), warmup = +(args.warmup || 0);
const out = args.out || '/dev/shm/imgbench/sharp';
const files = fs.readFileSync(args.list, 'utf8').split('\n').filter(Boolean);
sharp.cache(false);                          // no operation cache: every pass does the work
sharp.concurrency(+(args.vipsThreads || 1)); // libvips worker threads per pipeline
fs.mkdirSync(out, { recursive: true });

const Q_WEBP = 80, Q_JPEG = 90;
const ANIM = new Set(['gif', 'webp']);

async function job(file, write) {
  const buf = fs.readFileSync(file);
  const base = path.basename(file).replace(/\.[^.]+$/, '');
  const meta = await sharp(buf).metadata();
  // (a) 150x150 centre cover crop, WebP
  const thumb = await sharp(buf).rotate().resize(150, 150, { fit: 'cover', position: 'centre' })
    .webp({ quality: Q_WEBP }).toBuffer();
  // (b) <= 800 wide, aspect kept, never upscaled, WebP
  const medium = await sharp(buf).rotate().resize({ width: 800, withoutEnlargement: true })
    .webp({ quality: Q_WEBP }).toBuffer();
  // (c) original format, auto-oriented, all metadata stripped (sharp default), sRGB (sharp default)
  const animated = ANIM.has(meta.format) && (meta.pages || 1) > 1;
  let p = sharp(buf, { animated }).rotate();
  switch (meta.format) {
    case 'jpeg': p = p.jpeg({ quality: Q_JPEG }); break;
    case 'png': p = p.png(); break;
    case 'gif': p = p.gif(); break;
    case 'webp': p = p.webp({ quality: Q_WEBP }); break;
    default: p = p.toFormat(meta.format);
  }
  const orig = await p.toBuffer();
  const ext = meta.format === 'jpeg' ? 'jpg' : meta.format;
  if (write) {
    fs.writeFileSync(path.join(out, base + '.thumb.webp'), thumb);
    fs.writeFileSync(path.join(out, base + '.medium.webp'), medium);
    fs.writeFileSync(path.join(out, base + '.orig.' + ext), orig);
  }
  return { thumb: thumb.length, medium: medium.length, orig: orig.length };
}

async function runPass(write) {
  const perFile = {}, errors = {}, sizes = {};
  let next = 0;
  async function worker() {
    while (next < files.length) {
      const f = files[next++];
      const t0 = process.hrtime.bigint();
      try { sizes[path.basename(f)] = await job(f, write); }
      catch (e) { errors[path.basename(f)] = String(e.message || e).split('\n')[0]; }
      perFile[path.basename(f)] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
  }
  const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: threads }, worker));
  const c = process.cpuUsage(c0);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs: (c.user + c.system) / 1000, perFile, errors, sizes };
}

function vmHwmKiB() { // peak RSS of this process so far (Linux), -1 elsewhere
  try { return +/^VmHWM:\s*(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]; } catch (e) { return -1; }
}

(async () => {
  for (let i = 0; i < warmup; i++) await runPass(false);
  const res = [];
  for (let i = 0; i < passes; i++) res.push(await runPass(i === passes - 1));
  const last = res[res.length - 1];
  console.log(JSON.stringify({ engine: 'sharp', version: sharp.versions.sharp, vips: sharp.versions.vips, threads,
    passMs: res.map(r => r.ms), passCpuMs: res.map(r => r.cpuMs), perFile: last.perFile, errors: last.errors, sizes: last.sizes,
    vmHwmKiB: vmHwmKiB() }));
})();
