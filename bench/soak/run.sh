#!/usr/bin/env bash
# Soak: mixed load (text and image uploads, lists, downloads, thumbnails) against `stowage dev` for a fixed
# time, by C closed-loop clients (dev.stowage.bench.SoakBench). Prints the server's resident memory and
# threads at the start, every minute and at the end, then per operation: count, errors, 429s, p50 and p99,
# the error rate and the operations per second, and the CPU seconds of the Stowage JVM and of PostgreSQL.
#
#   bench/soak/run.sh
#
# Environment (all optional):
#   SECONDS_TOTAL=600   length of the measured load
#   CLIENTS=16          closed-loop clients (4 accounts each)
#   WARMUP=60           seconds of the same load before measuring (not counted)
#   HTTP_PORT=18180 S3_PORT=19100 PG_PORT=15539
#   KEEP=1              keep the temporary data directory and logs (always kept when the run fails)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SECONDS_TOTAL="${SECONDS_TOTAL:-600}" CLIENTS="${CLIENTS:-16}" WARMUP="${WARMUP:-60}"
HTTP_PORT="${HTTP_PORT:-18180}" S3_PORT="${S3_PORT:-19100}" PG_PORT="${PG_PORT:-15539}"
die() { echo "soak: $*" >&2; exit 1; }

if [ -z "${JAVA_HOME:-}" ]; then
  JAVA_HOME="$(ls -d /usr/lib/jvm/*25* 2>/dev/null | sort | tail -n 1 || true)"
  [ -n "$JAVA_HOME" ] || die "set JAVA_HOME to a JDK 25"
  export JAVA_HOME
fi
for p in "$HTTP_PORT" "$S3_PORT" "$PG_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is taken (set HTTP_PORT/S3_PORT/PG_PORT)"; fi
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/stowage-soak.XXXXXX")"
PID=""
cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for ((i = 0; i < 600; i++)); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  if [ "${KEEP:-0}" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 130 ]; }; then echo "logs and data kept in $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building the bench classes …"
(cd "$ROOT" && ./mvnw -q -DskipTests test-compile dependency:build-classpath \
    -Dmdep.outputFile="$WORK/classpath.txt" -Dmdep.includeScope=test) >"$WORK/build.log" 2>&1 \
  || { tail -30 "$WORK/build.log" >&2; die "build failed"; }

echo "starting stowage dev (data in $WORK/data) …"
"$ROOT/stowage" dev --data-dir "$WORK/data" --port "$HTTP_PORT" --s3-port "$S3_PORT" --pg-port "$PG_PORT" >"$WORK/stowage.log" 2>&1 &
PID=$!
ok=0
for ((i = 0; i < 600; i++)); do
  if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$HTTP_PORT/health/ready" 2>/dev/null; then ok=1; break; fi
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.5
done
[ "$ok" = 1 ] || { tail -20 "$WORK/stowage.log" >&2; die "stowage did not become ready"; }
# the JVM: the launcher execs java, or runs it as its only child
JVM="$PID"
child="$({ ps -o pid= --ppid "$PID" || true; } | awk 'NR == 1 { print $1 }')"
[ -n "$child" ] && grep -q java "/proc/$child/cmdline" 2>/dev/null && JVM="$child"
SECRET="$(sed -n 's/^jwt\.secret=//p' "$WORK/data/secrets.properties" | head -1)"
[ -n "$SECRET" ] || die "cannot read the dev secrets"

ticks() { local s; s="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo 0; return; }; s="${s##*) }"; set -- $s; echo $((${12} + ${13})); }
pg_ticks() {
  local main t=0 p; main="$(head -1 "$WORK/data/postgres/data/postmaster.pid" 2>/dev/null || true)"
  [ -n "$main" ] || { echo 0; return; }
  for p in "$main" $(ps -o pid= --ppid "$main" || true); do t=$((t + $(ticks "$p"))); done
  echo "$t"
}
HZ="$(getconf CLK_TCK)"
echo "load: $CLIENTS clients for $SECONDS_TOTAL s (after a $WARMUP s warm-up that is not counted) …"
"$JAVA_HOME/bin/java" -cp "$ROOT/target/test-classes:$ROOT/target/classes:$(cat "$WORK/classpath.txt")" \
  -Dlogback.configurationFile="$ROOT/bench/uploads/roundtrip-logback.xml" \
  dev.stowage.bench.SoakBench "http://127.0.0.1:$HTTP_PORT" "$SECRET" "$WARMUP" "$CLIENTS" "$JVM" \
  "$ROOT/src/test/resources/fixtures/images/photos/mate_FreshFlower.jpg" >"$WORK/warmup.txt" 2>"$WORK/warmup.err" \
  || { tail -20 "$WORK/warmup.err" >&2; die "warm-up failed"; }
j0="$(ticks "$JVM")" p0="$(pg_ticks)"
"$JAVA_HOME/bin/java" -cp "$ROOT/target/test-classes:$ROOT/target/classes:$(cat "$WORK/classpath.txt")" \
  -Dlogback.configurationFile="$ROOT/bench/uploads/roundtrip-logback.xml" \
  dev.stowage.bench.SoakBench "http://127.0.0.1:$HTTP_PORT" "$SECRET" "$SECONDS_TOTAL" "$CLIENTS" "$JVM" \
  "$ROOT/src/test/resources/fixtures/images/photos/mate_FreshFlower.jpg" 2>"$WORK/soak.err" | tee "$WORK/soak.txt" \
  || { tail -20 "$WORK/soak.err" >&2; die "soak failed"; }
j1="$(ticks "$JVM")" p1="$(pg_ticks)"
ops="$(sed -n 's/^total ops=\([0-9]*\).*/\1/p' "$WORK/soak.txt")"
awk -v j=$((j1 - j0)) -v p=$((p1 - p0)) -v hz="$HZ" -v n="${ops:-0}" 'BEGIN {
  printf "cpu stowage_s=%.1f postgres_s=%.1f stowage_ms_per_op=%.2f postgres_ms_per_op=%.2f\n", j / hz, p / hz, n ? 1000 * j / hz / n : 0, n ? 1000 * p / hz / n : 0 }'
errors_in_log="$(grep -c ' ERROR ' "$WORK/stowage.log" || true)"
echo "stowage log: $errors_in_log ERROR lines"
