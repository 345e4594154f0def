#!/usr/bin/env bash
# Migration benchmark: `stowage migrate run` against `rclone copy` (Debian's rclone, S3 backend), both
# copying the same generated trees into the embedded S3 server of one `stowage dev`, each into a fresh
# bucket, with the same concurrency and checksums. See README.md.
#
#   bench/migrate/run.sh [SMALL_FILES [LARGE_FILES [LARGE_MIB [REAL_FILES]]]]      defaults: 20000 3 256 0
#
# REAL_FILES: a realistic tree beside the two: photos (JPEG), PDFs and documents (DOCX, text) whose sizes are
# log-normal around a few hundred KB, up to 50 MB. 0 leaves any tree out.
#
# Environment (all optional):
#   CONCURRENCY=8          files in flight: stowage --concurrency, rclone --transfers (and --checkers)
#   PART_MIB=8             multipart part size and threshold of both (stowage migration.*, rclone --s3-chunk-size/--s3-upload-cutoff)
#   ROUNDS=1               rounds per tree; each round copies into fresh buckets; medians are printed
#   STOWAGE_JAVA_OPTS      JVM options of the migrate process (default -Xmx256m)
#   WARMUP=2000            small files of the warm-up tree (0: no warm-up)
#   STOWAGE_AOT=auto       the warm-up run records Stowage's start-up cache into target/stowage.aot (replacing
#                          one recorded before) and the measured runs use it; off: no cache
#   HTTP_PORT=18180 S3_PORT=19100 PG_PORT=15539
#   KEEP=1                 keep the temporary folder (trees, data, logs)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SMALL="${1:-20000}" LARGE="${2:-3}" LARGE_MIB="${3:-256}" REAL="${4:-0}"
CONCURRENCY="${CONCURRENCY:-8}" PART_MIB="${PART_MIB:-8}" ROUNDS="${ROUNDS:-1}" WARMUP="${WARMUP:-2000}"
# measured runs use the start-up cache the warm-up records (auto), or none (off)
case "${STOWAGE_AOT:-auto}" in off) export STOWAGE_AOT=off ;; *) export STOWAGE_AOT=auto ;; esac
HTTP_PORT="${HTTP_PORT:-18180}" S3_PORT="${S3_PORT:-19100}" PG_PORT="${PG_PORT:-15539}"
export STOWAGE_JAVA_OPTS="${STOWAGE_JAVA_OPTS:--Xmx256m}"

die() { echo "run.sh: $*" >&2; exit 1; }
if ! command -v rclone >/dev/null; then
  echo "installing Debian's rclone…" >&2
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q rclone >/dev/null || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q rclone >/dev/null; }
  fi
  command -v rclone >/dev/null || die "rclone is required: apt-get install rclone"
fi
command -v python3 >/dev/null || die "python3 is required (it generates the trees)"
for p in "$HTTP_PORT" "$S3_PORT" "$PG_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is taken (set HTTP_PORT/S3_PORT/PG_PORT)"; fi
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/stowage-bench-migrate.XXXXXX")"
DEV_PID=""
cleanup() {
  local rc=$?
  if [ -n "$DEV_PID" ] && kill -0 "$DEV_PID" 2>/dev/null; then
    kill "$DEV_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$DEV_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$DEV_PID" 2>/dev/null || true
  fi
  if [ "$rc" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT

echo "generating trees: $SMALL small files, $LARGE × $LARGE_MIB MiB, $REAL realistic files…" >&2
python3 - "$WORK" "$SMALL" "$LARGE" "$LARGE_MIB" "$WARMUP" "$PART_MIB" "$REAL" <<'PY'
import hashlib, math, os, random, sys
work, small, large, large_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
warmup, part_mib, real = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
rng = random.Random(42)
def blob(n):
    out, block = bytearray(), rng.getrandbits(256).to_bytes(32, "big")
    while len(out) < n:
        block = hashlib.sha256(block).digest(); out += block * 32
    return bytes(out[:n])
users = max(1, small // 200)
for i in range(small):
    d = os.path.join(work, "small", str(1000 + i % users)); os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"file-{i:06d}.bin"), "wb") as f:
        f.write(blob(rng.randint(1024, 64 * 1024)))
for k in range(large):
    d = os.path.join(work, "large", str(2000 + k)); os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"video-{k}.mp4"), "wb") as f:
        chunk = blob(1 << 20)
        for m in range(large_mib):
            f.write(hashlib.sha256(m.to_bytes(8, "big")).digest() + chunk[32:])
# the realistic tree: photos, PDFs and documents, log-normal sizes (median ~300 KB, capped at 50 MB), 100 per user
kinds = [("jpg", b"\xff\xd8\xff\xe1\x00\x18Exif\x00\x00", 0.55), ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 0.2),
         ("docx", b"PK\x03\x04\x14\x00\x06\x00", 0.15), ("txt", b"Minutes of the meeting\n", 0.1)]
for i in range(real):
    d = os.path.join(work, "real", str(4000 + i // 100)); os.makedirs(d, exist_ok=True)
    r, acc = rng.random(), 0.0
    for ext, head, share in kinds:
        acc += share
        if r <= acc: break
    size = int(min(50 << 20, max(2048, rng.lognormvariate(math.log(300 * 1024), 1.2))))
    with open(os.path.join(d, f"doc-{i:06d}.{ext}"), "wb") as f:
        f.write(head + blob(size - len(head)))
# the warm-up tree: small files and one multipart file, so both paths are warm (and in the start-up cache)
if warmup:
    for i in range(warmup):
        d = os.path.join(work, "warm", str(3000 + i % max(1, warmup // 200))); os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"warm-{i:06d}.bin"), "wb") as f:
            f.write(blob(rng.randint(1024, 64 * 1024)))
    # nine parts (three before): more of the S3 server's part-upload path is compiled before either tool is
    # measured, though not all of it (bench/migrate/README.md, 2026-12-08), hence the alternating order below
    with open(os.path.join(work, "warm", "3000", "warm-large.bin"), "wb") as f:
        f.write(blob((8 * part_mib + 1) << 20))
PY
sync
SMALL_BYTES=$(du -sb "$WORK/small" 2>/dev/null | cut -f1 || echo 0) LARGE_BYTES=$(du -sb "$WORK/large" 2>/dev/null | cut -f1 || echo 0)
REAL_BYTES=$(du -sb "$WORK/real" 2>/dev/null | cut -f1 || echo 0)
tree_bytes() { case "$1" in small) echo "$SMALL_BYTES" ;; large) echo "$LARGE_BYTES" ;; real) echo "$REAL_BYTES" ;; esac; }
tree_count() { case "$1" in small) echo "$SMALL" ;; large) echo "$LARGE" ;; real) echo "$REAL" ;; esac; }

# one stowage dev: embedded PostgreSQL + S3 server (the worker idles: the trees hold no images)
(cd "$ROOT" && ./stowage version >/dev/null)   # builds the jar when needed
cat > "$WORK/stowage.yaml" <<YAML
migration:
  multipart_threshold_bytes: $((PART_MIB << 20))
  part_size_bytes: $((PART_MIB << 20))
YAML
DEV_DATA="$WORK/dev"
(cd "$WORK" && STOWAGE_JAVA_OPTS="" STOWAGE_AOT=off exec "$ROOT/stowage" dev --data-dir "$DEV_DATA" --port "$HTTP_PORT" --s3-port "$S3_PORT" --pg-port "$PG_PORT" >"$WORK/dev.log" 2>&1) &
DEV_PID=$!
for _ in $(seq 1 300); do grep -q "Stowage dev is running" "$WORK/dev.log" 2>/dev/null && break; kill -0 "$DEV_PID" 2>/dev/null || die "stowage dev did not start: $(tail -5 "$WORK/dev.log")"; sleep 0.5; done
grep -q "Stowage dev is running" "$WORK/dev.log" || die "stowage dev did not start within 150 s"
KEY=$(sed -n 's/^s3AccessKey=//p; s/^s3\.access_key=//p; s/^s3.accessKey=//p' "$DEV_DATA/secrets.properties" | head -1)
SECRET=$(sed -n 's/^s3SecretKey=//p; s/^s3\.secret_key=//p; s/^s3.secretKey=//p' "$DEV_DATA/secrets.properties" | head -1)
[ -n "$KEY" ] && [ -n "$SECRET" ] || die "cannot read the S3 keys from $DEV_DATA/secrets.properties"
export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other RCLONE_CONFIG_BENCH_ENDPOINT="http://127.0.0.1:$S3_PORT"
export RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$KEY" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$SECRET" RCLONE_CONFIG_BENCH_REGION=us-east-1
export RCLONE_CONFIG=/dev/null
# the embedded server is plain HTTP on loopback: a CA bundle from the environment only breaks rclone's client
rclone() { env -u AWS_CA_BUNDLE rclone "$@"; }

CLK_TCK=$(getconf CLK_TCK)
# CPU ticks used so far by the dev stack: "S3 DB" = its JVM (S3 server, API, idle worker) and its PostgreSQL processes
server_cpu() {
  local s3=0 db=0 p master
  [ -r "/proc/$DEV_PID/stat" ] && s3=$(awk '{print $14 + $15}' "/proc/$DEV_PID/stat")
  master=$(pgrep -f "postgres -D $DEV_DATA" | head -1 || true)
  # the postmaster with its exited children (backends of connections that closed: cutime, cstime), and the live ones
  [ -n "$master" ] && [ -r "/proc/$master/stat" ] && db=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$master/stat")
  for p in $( [ -n "$master" ] && pgrep -P "$master" || true); do
    [ -r "/proc/$p/stat" ] && db=$((db + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$s3 $db"
}

# runs a command, prints "seconds peak_rss_kib client_cpu_s s3_cpu_s db_cpu_s" (peak RSS = VmHWM of
# the process or its children, polled; client CPU = user + system time of the command and its
# children; S3 and DB CPU = the dev stack's JVM and PostgreSQL during the command)
measure() {
  local log="$1"; shift
  local t0 t1 pid hwm=0 v s0 s1 cpu
  read -r -a s0 < <(server_cpu)
  t0=$(date +%s.%N)
  python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%.2f\n" % (r.ru_utime + r.ru_stime))
sys.exit(rc)' "$log.cpu" "$@" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    v=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    for c in $(pgrep -P "$pid" 2>/dev/null || true) $(pgrep -P "$(pgrep -P "$pid" | head -1 || echo 0)" 2>/dev/null || true); do
      local cv; cv=$(awk '/VmHWM/ {print $2}' "/proc/$c/status" 2>/dev/null || true)
      [ -n "$cv" ] && [ "$cv" -gt "${v:-0}" ] && v=$cv
    done
    [ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
    sleep 0.1
  done
  wait "$pid" || { echo "FAILED: $* (see $log)" >&2; tail -20 "$log" >&2; return 1; }
  t1=$(date +%s.%N)
  read -r -a s1 < <(server_cpu)
  cpu=$(cat "$log.cpu")
  echo "$(echo "$t1 - $t0" | bc -l) $hwm $cpu $(echo "(${s1[0]} - ${s0[0]}) / $CLK_TCK" | bc -l) $(echo "(${s1[1]} - ${s0[1]}) / $CLK_TCK" | bc -l)"
}

# waits until the dev stack is idle: no verify or variants job due, and its JVM under a fifth of a core for
# 2 s, so the worker's variants of one run's photos are not measured in the next run (at most 10 minutes)
settle() {
  local a b depth
  for _ in $(seq 1 300); do
    depth=$(curl -fsS "http://127.0.0.1:$HTTP_PORT/metrics" 2>/dev/null \
      | awk '/^stowage_jobs_queue_depth/ && /task="(verify-file|make-variants)"/ {s += $NF} END {print s + 0}')
    a=$(awk '{print $14 + $15}' "/proc/$DEV_PID/stat"); sleep 2; b=$(awk '{print $14 + $15}' "/proc/$DEV_PID/stat")
    [ "$depth" = 0 ] && [ $((b - a)) -lt $((CLK_TCK * 2 / 5)) ] && return 0
  done
  echo "the dev stack did not settle within 10 minutes; measuring anyway" >&2
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# warm-up: both tools copy the warm-up tree once, unmeasured, so that the S3 server and PostgreSQL have
# compiled their hot paths before either tool is measured; Stowage's run records its start-up cache
if [ "$WARMUP" != 0 ]; then
  echo "warming up the dev stack ($WARMUP small files and one multipart file, each tool once)…" >&2
  rec=record; [ "$STOWAGE_AOT" = off ] && rec=off
  (cd "$WORK" && STOWAGE_AOT=$rec "$ROOT/stowage" migrate run --source "$WORK/warm" --concurrency "$CONCURRENCY" --data-dir "$DEV_DATA" \
      >"$WORK/stowage-warmup.log" 2>&1) || die "stowage warm-up failed: $(tail -5 "$WORK/stowage-warmup.log")"
  rclone mkdir bench:rclone-warmup
  rclone copy "$WORK/warm" bench:rclone-warmup --transfers "$CONCURRENCY" --checkers "$CONCURRENCY" --s3-no-check-bucket --stats 0 \
      >"$WORK/rclone-warmup.log" 2>&1 || die "rclone warm-up failed: $(tail -5 "$WORK/rclone-warmup.log")"
fi

# one measured copy of $tree, round $round, by each tool
run_stowage() {
  # stowage: a fresh copy of the tree is a fresh run, into the dev stack's raw bucket (emptied first)
  src="$WORK/src-$tree-$round"; cp -al "$WORK/$tree" "$src"
  settle
  read -r secs rss cpu s3cpu dbcpu < <(cd "$WORK" && measure "$WORK/stowage-$tree-$round.log" "$ROOT/stowage" migrate run --source "$src" \
      --concurrency "$CONCURRENCY" --data-dir "$DEV_DATA")
  grep -q "this process copied $files file(s)" "$WORK/stowage-$tree-$round.log" || die "stowage did not copy $files files: $(tail -5 "$WORK/stowage-$tree-$round.log")"
  RESULTS[stowage,$tree]+="$secs $rss $cpu $s3cpu $dbcpu"$'\n'
  COPY[$tree]+="$(sed -n 's/.*this process copied .* in \([0-9.]*\) s (.*/\1/p' "$WORK/stowage-$tree-$round.log" | head -1)"$'\n'
}
run_rclone() {
  # rclone: a fresh bucket; MD5 of every file is sent (Content-MD5, or md5 metadata for multipart), verified by the server
  bucket="rclone-$tree-$round-$RANDOM"
  rclone mkdir "bench:$bucket"
  settle
  read -r secs rss cpu s3cpu dbcpu < <(measure "$WORK/rclone-$tree-$round.log" env -u AWS_CA_BUNDLE rclone copy "$WORK/$tree" "bench:$bucket" \
      --transfers "$CONCURRENCY" --checkers "$CONCURRENCY" --s3-upload-concurrency 4 \
      --s3-chunk-size "${PART_MIB}M" --s3-upload-cutoff "${PART_MIB}M" --s3-no-check-bucket --stats 0 --log-level INFO)
  # its own log names each file it copied (listing the bucket back costs the embedded server minutes at 200,000 objects)
  got=$(grep -c ': Copied (new)' "$WORK/rclone-$tree-$round.log" || true)
  [ "$got" = "$files" ] || die "rclone stored $got of $files files"
  RESULTS[rclone,$tree]+="$secs $rss $cpu $s3cpu $dbcpu"$'\n'
}

declare -A RESULTS COPY AFTER
for tree in small real large; do
  [ "$(tree_count "$tree")" = 0 ] && continue
  files=$(find "$WORK/$tree" -type f | wc -l)
  bytes=$(tree_bytes "$tree")
  for round in $(seq 1 "$ROUNDS"); do
    # the tool measured first meets an S3 server whose JIT compiler is still at work on the paths this
    # tree takes (measured: 5.9–8.4 s of C2 compilations in the first tool's large copy, 1.6–2.6 s in the
    # second's): the order alternates, Stowage first in odd rounds
    if [ $((round % 2)) = 1 ]; then run_stowage; run_rclone; else run_rclone; run_stowage; fi
    echo "round $round $tree: done" >&2
  done
  # the last round's run, after the copy: `migrate status` (all runs) and `migrate verify` (this tree's run)
  secs=? rss=0
  read -r secs rss _ < <(cd "$WORK" && measure "$WORK/status-$tree.log" "$ROOT/stowage" migrate status --data-dir "$DEV_DATA") || true
  AFTER[$tree]="status $(printf '%.1f' "$secs") s, $((rss / 1024)) MiB"
  secs=? rss=0
  read -r secs rss _ < <(cd "$WORK" && measure "$WORK/verify-$tree.log" "$ROOT/stowage" migrate verify --source "$src" \
      --concurrency "$CONCURRENCY" --data-dir "$DEV_DATA") || true
  grep -qE "matched +$files file" "$WORK/verify-$tree.log" || echo "verify of the $tree tree did not report $files matching files: $(tail -3 "$WORK/verify-$tree.log")" >&2
  AFTER[$tree]+="; verify $(printf '%.1f' "$secs" 2>/dev/null || echo failed) s, $((rss / 1024)) MiB"
done

printf '\nMigration benchmark: %s small files (%s), %s realistic files (%s), %s × %s MiB; concurrency %s, %s MiB parts, %s round(s), medians\n' \
  "$SMALL" "$(numfmt --to=iec "$SMALL_BYTES")" "$REAL" "$(numfmt --to=iec "$REAL_BYTES")" "$LARGE" "$LARGE_MIB" "$CONCURRENCY" "$PART_MIB" "$ROUNDS"
printf '%-8s %-6s %8s %9s %8s %9s   %-30s %s\n' tool tree seconds "files/s" "MiB/s" "peak RSS" "CPU s: client + S3 + DB" "CPU ms per file (per MiB for large)"
declare -A FPS MBS RSS
for tree in small real large; do
  [ "$(tree_count "$tree")" = 0 ] && continue
  files=$(find "$WORK/$tree" -type f | wc -l)
  bytes=$(tree_bytes "$tree")
  unit=$([ "$tree" = large ] && echo "$bytes / 1048576" || echo "$files")
  for tool in stowage rclone; do
    col() { printf '%s' "${RESULTS[$tool,$tree]}" | awk -v c="$1" 'NF {print $c}' | median; }
    secs=$(col 1) rss=$(col 2) cpu=$(col 3) s3=$(col 4) db=$(col 5)
    FPS[$tool,$tree]=$(echo "$files / $secs" | bc -l); MBS[$tool,$tree]=$(echo "$bytes / 1048576 / $secs" | bc -l); RSS[$tool,$tree]=$(echo "$rss / 1024" | bc -l)
    per() { echo "$1 * 1000 / ($unit)" | bc -l; }
    printf '%-8s %-6s %8.1f %9.1f %8.1f %5.0f MiB   %5.1f + %5.1f + %5.1f %11s %5.2f + %5.2f + %5.2f\n' "$tool" "$tree" "$secs" "${FPS[$tool,$tree]}" \
      "${MBS[$tool,$tree]}" "${RSS[$tool,$tree]}" "$cpu" "$s3" "$db" "" "$(per "$cpu")" "$(per "$s3")" "$(per "$db")"
  done
done
echo "(CPU: user + system seconds of the tool, of the dev stack's JVM (the S3 server) and of its PostgreSQL, during the tool's run)"
for tree in small real large; do
  [ -n "${COPY[$tree]:-}" ] || continue
  printf 'stowage %s: copying itself (its own report, without the JVM start and exit) took %.1f s\n' "$tree" "$(printf '%s' "${COPY[$tree]}" | awk 'NF' | median)"
done
for tree in small real large; do
  [ -n "${AFTER[$tree]:-}" ] || continue
  printf 'stowage %s: after the copy, %s (seconds, peak RSS of the whole command)\n' "$tree" \
    "${AFTER[$tree]}"
done
printf '\nratios (stowage / rclone):'
if [ "$SMALL" != 0 ]; then printf ' small files/s %.2f× (goal ≥ 1.0)' "$(echo "${FPS[stowage,small]} / ${FPS[rclone,small]}" | bc -l)"; fi
if [ "$REAL" != 0 ]; then printf ' realistic MiB/s %.2f×' "$(echo "${MBS[stowage,real]} / ${MBS[rclone,real]}" | bc -l)"; fi
if [ "$LARGE" != 0 ]; then printf ' large MiB/s %.2f× (goal ≥ 1.2)' "$(echo "${MBS[stowage,large]} / ${MBS[rclone,large]}" | bc -l)"; fi
peak=$(printf '%s\n' "${RSS[stowage,small]:-0}" "${RSS[stowage,real]:-0}" "${RSS[stowage,large]:-0}" | sort -g | tail -1)
printf '; stowage peak RSS %.0f MiB (goal < 512)\n' "$peak"
