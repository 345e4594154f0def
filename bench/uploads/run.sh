#!/usr/bin/env bash
# Upload-initiation benchmark: Stowage (POST /v1/uploads of `stowage dev`) against a minimal
# Node/Express peer (peer/server.js) on the same embedded PostgreSQL and S3 server, in one run,
# driven by the same closed-loop load generator (wrk) in interleaved rounds. See README.md.
#
#   bench/uploads/run.sh
#
# Environment (all optional):
#   ROUNDS=5 DURATION=20 WARMUP=90   measured rounds per endpoint, seconds per round, warm-up seconds per endpoint
#                                    (the JVM needs ~2 minutes of load to reach steady state on 2 busy cores)
#   CONNECTIONS=32 THREADS=1         wrk connections and threads
#   USERS=500                        distinct users (tokens) the requests cycle through, plan "pro" (50 GiB)
#   POOL_SIZE=10                     the peer's pg pool size (Stowage's database.max_pool_size default)
#   PEER_WORKERS=1                   Node processes of the peer (node:cluster when > 1; POOL_SIZE split between them)
#   HTTP_PORT=18080 S3_PORT=19000 PG_PORT=15439 PEER_PORT=18081
#   STOWAGE_AOT=auto                 auto: first train Stowage's start-up cache (JDK AOT cache, target/stowage.aot,
#                                    replacing one recorded before) with a `stowage dev` of its own under the same
#                                    load for TRAIN seconds, then measure a Stowage started with it; off: no cache
#   TRAIN=45                         seconds of load in the training run (0: use target/stowage.aot as it is)
#   OUT=FILE                         also write the per-round results (TSV) there
#   KEEP=1                           keep the temporary data directory and logs (always kept when the run fails;
#                                    removed after Ctrl+C)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ROUNDS="${ROUNDS:-5}" DURATION="${DURATION:-20}" WARMUP="${WARMUP:-90}" PEER_WORKERS="${PEER_WORKERS:-1}"
CONNECTIONS="${CONNECTIONS:-32}" THREADS="${THREADS:-1}" USERS="${USERS:-500}" POOL_SIZE="${POOL_SIZE:-10}"
TRAIN="${TRAIN:-45}"
case "${STOWAGE_AOT:-auto}" in off) AOT_MODE=off ;; auto|record) AOT_MODE=auto ;; *) echo "run.sh: STOWAGE_AOT must be auto or off" >&2; exit 2 ;; esac
HTTP_PORT="${HTTP_PORT:-18080}" S3_PORT="${S3_PORT:-19000}" PG_PORT="${PG_PORT:-15439}" PEER_PORT="${PEER_PORT:-18081}"

die() { echo "run.sh: $*" >&2; exit 1; }
for tool in wrk node npm curl setsid; do
  command -v "$tool" >/dev/null || die "$tool is required (see bench/uploads/README.md)"
done
for p in "$HTTP_PORT" "$S3_PORT" "$PG_PORT" "$PEER_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is taken (set HTTP_PORT/S3_PORT/PG_PORT/PEER_PORT)"; fi
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/stowage-bench-uploads.XXXXXX")"
STOWAGE_PID="" PEER_PID="" TRAIN_PID=""

stop_pid() { # pid grace-seconds
  local pid="$1" grace="$2" i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? pm pgpid
  trap - EXIT INT TERM
  stop_pid "$PEER_PID" 10
  stop_pid "$STOWAGE_PID" 60
  if [ -n "$TRAIN_PID" ] && kill -0 -- "-$TRAIN_PID" 2>/dev/null; then # the training run's process group
    kill -TERM -- "-$TRAIN_PID" 2>/dev/null || true
    stop_pid "$TRAIN_PID" 60
    kill -KILL -- "-$TRAIN_PID" 2>/dev/null || true
  fi
  # a Stowage killed hard leaves its embedded PostgreSQL behind: stop that one (ours, by its pid file)
  for pm in "$WORK/data/postgres/data/postmaster.pid" "$WORK/train/postgres/data/postmaster.pid"; do
    [ -f "$pm" ] || continue
    pgpid="$(head -1 "$pm")"
    [ -n "$pgpid" ] && stop_pid "$pgpid" 20
  done
  if [ "${KEEP:-0}" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 130 ]; }; then
    echo "logs and data kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # url seconds what
  local i
  for ((i = 0; i < $2 * 2; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  return 1
}

# --- Stowage over the embedded stack -----------------------------------------------------------
# the bench measures the cost of an initiation, not the per-user limits: plan "pro" gets limits it never reaches
cat >"$WORK/bench.yaml" <<'YAML'
uploads:
  limits:
    free: {max_open_uploads: 100, initiations_per_second: 10, initiation_burst: 50}
    pro: {max_open_uploads: 1000000, initiations_per_second: 10000, initiation_burst: 100000}
YAML
start_dev() { # data-dir log [command prefix…]: `stowage dev` in the background ($! is its pid)
  local dir="$1" log="$2"; shift 2
  "$@" "$ROOT/stowage" dev --config "$WORK/bench.yaml" --data-dir "$dir" --port "$HTTP_PORT" --s3-port "$S3_PORT" \
    --pg-port "$PG_PORT" >"$log" 2>&1 &
}
prop() { # data-dir key-regex
  sed -n "s/^$2=//p" "$1/secrets.properties" | head -1
}
wrk_load() { # url seconds tokens-file -> the RESULT line
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${2}s" --timeout 30s -s "$HERE/initiate.lua" "$1" -- "$3" | grep '^RESULT '
}
if [ ! -d "$HERE/peer/node_modules" ]; then
  echo "installing the peer's dependencies (npm ci) …"
  (cd "$HERE/peer" && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd "$ROOT" && ./stowage version >/dev/null) # builds the jar when needed, before a cache is trained for it

# --- the start-up cache: a training run of its own, under the same load ---------------------------
# The JVM records which classes the run loads and links and the methods' profiles, and writes them when
# the process exits normally: `stowage dev` does on SIGTERM. The launcher then creates the cache (record
# mode). The signal goes to the training run's process group (setsid), as `timeout` would send it.
AOT_FILE="$ROOT/target/stowage.aot"
if [ "$AOT_MODE" = auto ] && [ "$TRAIN" -gt 0 ]; then
  echo "training the start-up cache: stowage dev with STOWAGE_AOT=record under the same load for ${TRAIN}s …"
  STOWAGE_AOT=record start_dev "$WORK/train" "$WORK/train.log" setsid
  TRAIN_PID=$!
  if ! wait_http "http://127.0.0.1:$HTTP_PORT/health/ready" 300; then
    tail -20 "$WORK/train.log" >&2
    die "the training run did not become ready"
  fi
  kill -0 -- "-$TRAIN_PID" 2>/dev/null || die "the training run is not a process group of its own"
  JWT_SECRET="$(prop "$WORK/train" 'jwt\.secret')" node "$HERE/peer/mint-tokens.js" "$USERS" pro >"$WORK/train-tokens.txt"
  wrk_load "http://127.0.0.1:$HTTP_PORT/v1/uploads" "$TRAIN" "$WORK/train-tokens.txt" >/dev/null || die "wrk failed in the training run"
  kill -TERM -- "-$TRAIN_PID"
  train_rc=0
  wait "$TRAIN_PID" || train_rc=$?
  TRAIN_PID=""
  [ "$train_rc" = 0 ] || { tail -20 "$WORK/train.log" >&2; die "the training run exited $train_rc"; }
  grep -q 'start-up cache written' "$WORK/train.log" || { tail -5 "$WORK/train.log" >&2; die "the training run wrote no start-up cache"; }
  rm -rf "$WORK/train"
fi
if [ "$AOT_MODE" = auto ]; then
  [ -f "$AOT_FILE" ] && [ "$AOT_FILE" -nt "$ROOT/target/stowage.jar" ] || die "no start-up cache newer than the jar (TRAIN=0 needs one)"
  # the JVM's own word that it opened the cache, in a file (the launcher keeps such notes off the output)
  export STOWAGE_JAVA_OPTS="${STOWAGE_JAVA_OPTS:-} -Xlog:aot=info:file=$WORK/aot.log"
fi

echo "starting stowage dev (data in $WORK/data, start-up cache: $AOT_MODE) …"
STOWAGE_AOT="$AOT_MODE" start_dev "$WORK/data" "$WORK/stowage.log"
STOWAGE_PID=$!
if ! wait_http "http://127.0.0.1:$HTTP_PORT/health/ready" 300; then
  tail -20 "$WORK/stowage.log" >&2
  die "stowage did not become ready"
fi
AOT_NOTE="off (STOWAGE_AOT=off)"
if [ "$AOT_MODE" = auto ]; then
  grep -q 'Opened AOT cache' "$WORK/aot.log" 2>/dev/null || die "the JVM did not open the start-up cache (see $WORK/aot.log)"
  if [ "$TRAIN" -gt 0 ]; then AOT_NOTE="used (trained for ${TRAIN}s under this load, the JVM opened it)"
  else AOT_NOTE="used (target/stowage.aot as it was, the JVM opened it)"; fi
fi
S3_ACCESS_KEY="$(prop "$WORK/data" 's3\.access_key')" S3_SECRET_KEY="$(prop "$WORK/data" 's3\.secret_key')" JWT_SECRET="$(prop "$WORK/data" 'jwt\.secret')"
[ -n "$S3_ACCESS_KEY" ] && [ -n "$S3_SECRET_KEY" ] && [ -n "$JWT_SECRET" ] || die "cannot read $WORK/data/secrets.properties"

# --- the Node peer on the same PostgreSQL and S3 server ----------------------------------------
PEER_PORT="$PEER_PORT" POOL_SIZE="$POOL_SIZE" PEER_WORKERS="$PEER_WORKERS" \
  PGHOST=127.0.0.1 PGPORT="$PG_PORT" PGDATABASE=stowage PGUSER=postgres PGPASSWORD= \
  S3_ENDPOINT="http://127.0.0.1:$S3_PORT" S3_ACCESS_KEY="$S3_ACCESS_KEY" S3_SECRET_KEY="$S3_SECRET_KEY" \
  JWT_SECRET="$JWT_SECRET" NODE_ENV=production \
  node "$HERE/peer/server.js" >"$WORK/peer.log" 2>&1 &
PEER_PID=$!
wait_http "http://127.0.0.1:$PEER_PORT/health" 30 || { cat "$WORK/peer.log" >&2; die "the peer did not start"; }
sleep 1 # all cluster workers listening

# --- tokens, smoke test ----------------------------------------------------------------------------
JWT_SECRET="$JWT_SECRET" node "$HERE/peer/mint-tokens.js" "$USERS" pro >"$WORK/tokens.txt"
first_token="$(head -1 "$WORK/tokens.txt")"
node "$HERE/peer/smoke.js" "http://127.0.0.1:$HTTP_PORT" "$first_token"
node "$HERE/peer/smoke.js" "http://127.0.0.1:$PEER_PORT" "$first_token"

# --- load ----------------------------------------------------------------------------------------
TICKS="$(getconf CLK_TCK)"
ticks_of() { # prints "pid ticks" (utime+stime) for each live pid given
  local pid s
  for pid in "$@"; do
    s="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    s="${s##*) }"
    set -- $s
    echo "$pid $((${12} + ${13}))"
  done
}
# the processes whose CPU is counted: the Stowage JVM; the peer's Node process(es); PostgreSQL
# (postmaster and all its children: backends of both pools, WAL writer, checkpointer …)
app_pids() {
  if [ "$1" = stowage ]; then echo "$STOWAGE_PID"; else echo "$PEER_PID" $(ps -o pid= --ppid "$PEER_PID"); fi
}
pg_pids() {
  local main; main="$(head -1 "$WORK/data/postgres/data/postmaster.pid")"
  echo "$main" $(ps -o pid= --ppid "$main")
}
# CPU ticks used since a snapshot (pids that appeared since count from zero)
ticks_since() { # snapshot-file pids...
  local snap="$1"; shift
  ticks_of "$@" | awk -v snap="$snap" 'BEGIN { while ((getline l < snap) > 0) { split(l, f, " "); t0[f[1]] = f[2] } }
    { d += $2 - ($1 in t0 ? t0[$1] : 0) } END { print d + 0 }'
}

url_of() { [ "$1" = stowage ] && echo "http://127.0.0.1:$HTTP_PORT/v1/uploads" || echo "http://127.0.0.1:$PEER_PORT/v1/uploads"; }

drive() { # target seconds -> RESULT fields + app and PostgreSQL CPU ms per request
  local target="$1" secs="$2" app pg line
  ticks_of $(app_pids "$target") >"$WORK/app.snap"
  ticks_of $(pg_pids) >"$WORK/pg.snap"
  line="$(wrk_load "$(url_of "$target")" "$secs" "$WORK/tokens.txt")" || die "wrk failed against $target"
  app="$(ticks_since "$WORK/app.snap" $(app_pids "$target"))"
  pg="$(ticks_since "$WORK/pg.snap" $(pg_pids))"
  set -- $line
  [ "$8" = 0 ] && [ "$9" = 0 ] || echo "  warning: $target answered $8 non-2xx responses and had $9 socket errors" >&2
  awk -v r="$2" -v a="$app" -v p="$pg" -v hz="$TICKS" -v l="${line#RESULT }" \
    'BEGIN { printf "%s %.3f %.3f\n", l, a * 1000 / hz / r, p * 1000 / hz / r }'
}

echo
echo "machine: $(nproc) CPU(s), load average $(cut -d' ' -f1-3 /proc/loadavg); $(node --version) node, $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "load: wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s rounds, $USERS users round-robin, 1 MiB application/pdf; peer: $PEER_WORKERS process(es), pg pool $POOL_SIZE in total"
echo "stowage start-up cache: $AOT_NOTE"
echo "warm-up: ${WARMUP}s each …"
drive stowage "$WARMUP" >/dev/null
drive peer "$WARMUP" >/dev/null

RESULTS="$WORK/results.tsv"
printf 'round\ttarget\treq_per_s\tp50_ms\tp99_ms\tmax_ms\trequests\tnon2xx\tapp_cpu_ms_per_req\tpg_cpu_ms_per_req\n' >"$RESULTS"
printf '\n%-5s %-8s %10s %9s %9s %9s %8s %14s %13s\n' round target "req/s" "p50 ms" "p99 ms" "max ms" non2xx "app cpu ms/req" "pg cpu ms/req"
for ((round = 1; round <= ROUNDS; round++)); do
  for target in stowage peer; do
    set -- $(drive "$target" "$DURATION")
    # requests seconds rps p50 p99 max non2xx sockerr timeouts appcpu pgcpu
    printf '%-5s %-8s %10s %9s %9s %9s %8s %14s %13s\n' "$round" "$target" "$3" "$4" "$5" "$6" "$7" "${10}" "${11}"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$target" "$3" "$4" "$5" "$6" "$1" "$7" "${10}" "${11}" >>"$RESULTS"
  done
done

node - "$RESULTS" "$WARMUP" <<'EOF'
const fs = require('node:fs');
const rows = fs.readFileSync(process.argv[2], 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const col = (t, i) => rows.filter((r) => r[1] === t).map((r) => Number(r[i]));
const m = {};
for (const t of ['stowage', 'peer']) m[t] = { rps: median(col(t, 2)), p50: median(col(t, 3)), p99: median(col(t, 4)), app: median(col(t, 8)), pg: median(col(t, 9)) };
console.log('\nmedians');
for (const t of ['stowage', 'peer']) {
  const x = m[t];
  console.log(`  ${t.padEnd(8)} ${x.rps.toFixed(1).padStart(10)} req/s   p50 ${x.p50.toFixed(2)} ms   p99 ${x.p99.toFixed(2)} ms   app cpu ${x.app.toFixed(3)} ms/req   pg cpu ${x.pg.toFixed(3)} ms/req`);
}
const tr = m.stowage.rps / m.peer.rps, pr = m.stowage.p99 / m.peer.p99;
console.log(`ratio stowage/peer: throughput ${tr.toFixed(2)}x, p99 ${pr.toFixed(2)}x (p50 ${(m.stowage.p50 / m.peer.p50).toFixed(2)}x)`);
console.log(`goal (throughput >= 1.5x at p99 <= 1.0x): ${tr >= 1.5 && pr <= 1 ? 'met' : 'NOT met'}`);
if (Number(process.argv[3]) <= 45) console.log(`short warm-up goal (warm-up <= 45 s: throughput >= 2.0x at p99 <= 1.0x): ${tr >= 2 && pr <= 1 ? 'met' : 'NOT met'}`);
EOF
if [ -n "${OUT:-}" ]; then cp "$RESULTS" "$OUT"; echo "per-round results written to $OUT"; fi
