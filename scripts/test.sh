#!/usr/bin/env bash
# The whole test suite with its set-up: `./stowage test [MAVEN ARGS…]` (or scripts/test.sh).
#
#   1. the JDK: JAVA_HOME as the launcher found it (Java 25+);
#   2. Debian packages of the test tiers: installed when run as root, else the one apt-get line is
#      printed and the run stops;
#   3. leftovers of an earlier, interrupted run (embedded PostgreSQL, child JVMs) are stopped;
#   4. a Ceph RADOS Gateway and a clamd with the project's signatures are started;
#   5. every tier is checked (gateway, clamd, PgBouncer, Chromium, libvips) and reported within the first minute;
#   6. ./mvnw -B verify [MAVEN ARGS…] runs every unit and integration test;
#   7. everything started here is stopped, on success, failure, Ctrl+C or SIGTERM.
#
# Environment: STOWAGE_TEST_KEEP_SERVICES=1 leaves the gateway and clamd running afterwards (a faster
# next run; `scripts/rgw.sh stop` and `scripts/clamd.sh stop` end them).  STOWAGE_TEST_PGBOUNCER=1 runs
# every test with its database behind PgBouncer in transaction mode (database.pooler: transaction); without
# it only the pooler tests (PoolerIT, MigrationPoolerIT) are.  Each test JVM starts its own PgBouncer
# (scripts/pgbouncer.sh) in front of its embedded PostgreSQL; the tier check here makes sure one starts.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

T0=$(date +%s)
log() { printf '[%s +%4ss] test: %s\n' "$(date -u +%H:%M:%S)" $(( $(date +%s) - T0 )) "$*"; }
die() { log "FAILED: $*" >&2; exit 1; }

# Debian packages the test tiers use; add new ones here.
#   ceph-mon ceph-osd radosgw   single-node RADOS Gateway (scripts/rgw.sh)
#   curl                        readiness checks
#   pgbouncer                   PostgreSQL behind a transaction pooler (scripts/pgbouncer.sh)
#   clamav-daemon clamav-testfiles  clamd with project-owned signatures (scripts/clamd.sh)
#   chromium chromium-driver    browser tests
#   libvips42                   the libvips image engine (its half of the engine suite, HEIC/AVIF)
#   python3                     the legacy-tree generator of the migration and cost tests
#   util-linux                  setpriv and setsid
DEB_PACKAGES="ceph-mon ceph-osd radosgw curl pgbouncer clamav-daemon clamav-testfiles chromium chromium-driver libvips42 python3 util-linux"

# ---------------------------------------------------------------- Java
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/javac" ]; then
  die "JAVA_HOME must name a JDK 25 with javac (run this through ./stowage test, which finds one)"
fi
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
jdk_version=$("$JAVA_HOME/bin/java" -version 2>&1 || true)
log "JDK: $JAVA_HOME (${jdk_version%%$'\n'*})"

# ---------------------------------------------------------------- Debian packages
missing=()
for p in $DEB_PACKAGES; do
  [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" == ii* ]] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    log "the test tiers need Debian packages that are not installed; run, then start again:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
else
  log "Debian packages: all installed"
fi

# ---------------------------------------------------------------- leftovers
# Test JVMs, the stowage processes they start and their embedded PostgreSQL servers all name a path
# under target/ on their command line (class path, java.io.tmpdir = target/tmp, data directories).
stop_leftovers() {
  local pids=() pid args
  for pid in $(pgrep -f "$ROOT/target/" 2>/dev/null || true); do
    [ "$pid" = "$$" ] && continue
    pids+=("$pid")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  log "stopping ${#pids[@]} process(es) left by a test run: ${pids[*]}"
  for pid in "${pids[@]}"; do
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    # a postmaster stops fastest on SIGINT (fast shutdown); JVMs run their shutdown hooks on SIGTERM
    case "$args" in */bin/postgres\ *) kill -INT "$pid" 2>/dev/null || true ;; *) kill -TERM "$pid" 2>/dev/null || true ;; esac
  done
  local i
  for i in $(seq 1 30); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
stop_leftovers

# ---------------------------------------------------------------- services and clean-up
RGW_STATE="$ROOT/.ci-state/rgw"
CLAMD_STATE="$ROOT/.ci-state/clamd"
RGW_STARTED=0
CLAMD_STARTED=0
MVN_PID=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$MVN_PID" ] && kill -0 "$MVN_PID" 2>/dev/null; then
    log "stopping the test run"
    kill -TERM -- "-$MVN_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$MVN_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$MVN_PID" 2>/dev/null || true
  fi
  stop_leftovers
  if [ "${STOWAGE_TEST_KEEP_SERVICES:-0}" != 1 ]; then
    if [ "$CLAMD_STARTED" = 1 ]; then
      log "stopping clamd"
      "$ROOT/scripts/clamd.sh" stop "$CLAMD_STATE" >/dev/null 2>&1 || log "stopping clamd failed"
    fi
    if [ "$RGW_STARTED" = 1 ]; then
      log "stopping RADOS Gateway"
      "$ROOT/scripts/rgw.sh" stop "$RGW_STATE" >/dev/null 2>&1 || log "stopping RADOS Gateway failed"
    fi
  fi
  log "done, exit code $rc"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

import_env() { # KEY=VALUE lines of a start script into this environment
  local line
  while IFS= read -r line; do
    case "$line" in STOWAGE_TEST_*=*) export "${line?}" ;; esac
  done <<<"$1"
}

log "starting RADOS Gateway and clamd"
RGW_STARTED=1
CLAMD_STARTED=1
rgw_out=$(mktemp); clamd_out=$(mktemp)
( RGW_RESET=1 "$ROOT/scripts/rgw.sh" start "$RGW_STATE" >"$rgw_out" 2>"$rgw_out.err"; echo $? >"$rgw_out.rc" ) &
rgw_job=$!
( "$ROOT/scripts/clamd.sh" start "$CLAMD_STATE" >"$clamd_out" 2>"$clamd_out.err"; echo $? >"$clamd_out.rc" ) &
clamd_job=$!
wait "$rgw_job" "$clamd_job" || true

# ---------------------------------------------------------------- tier report
declare -A tier_state
report_ok=1
rgw_rc=$(cat "$rgw_out.rc" 2>/dev/null || echo 1)
if [ "$rgw_rc" = 0 ]; then import_env "$(cat "$rgw_out")"; fi
if [ -n "${STOWAGE_TEST_RGW_ENDPOINT:-}" ] && curl -fsS -o /dev/null --max-time 5 "$STOWAGE_TEST_RGW_ENDPOINT"; then
  tier_state[gateway]="up    Ceph RADOS Gateway at $STOWAGE_TEST_RGW_ENDPOINT"
else
  tier_state[gateway]="DOWN  Ceph RADOS Gateway: $(tail -n 3 "$rgw_out.err" 2>/dev/null | tr '\n' ' ') (logs in .ci-state/rgw/log)"
  report_ok=0
fi
clamd_rc=$(cat "$clamd_out.rc" 2>/dev/null || echo 1)
if [ "$clamd_rc" = 0 ]; then import_env "$(cat "$clamd_out")"; fi
pong=
if [ -n "${STOWAGE_TEST_CLAMD_HOST:-}" ]; then
  pong=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"; printf "zPING\0" >&3; head -c 4 <&3' \
           "$STOWAGE_TEST_CLAMD_HOST" "$STOWAGE_TEST_CLAMD_PORT" 2>/dev/null || true)
fi
if [ "$pong" = PONG ]; then
  tier_state[clamd]="up    clamd at $STOWAGE_TEST_CLAMD_HOST:$STOWAGE_TEST_CLAMD_PORT"
else
  tier_state[clamd]="DOWN  clamd: $(tail -n 3 "$clamd_out.err" 2>/dev/null | tr '\n' ' ') (log in .ci-state/clamd/clamd.log)"
  report_ok=0
fi
rm -f "$rgw_out" "$rgw_out.err" "$rgw_out.rc" "$clamd_out" "$clamd_out.err" "$clamd_out.rc"
# PgBouncer: a trial start (configuration, user switch, answering the PostgreSQL protocol), then stopped:
# the tests start their own in front of their embedded PostgreSQL, whose port only they know
PGB_STATE="$ROOT/.ci-state/pgbouncer"
if pgb_err=$(PGBOUNCER_UPSTREAM=127.0.0.1:1 "$ROOT/scripts/pgbouncer.sh" start "$PGB_STATE" 2>&1 >/dev/null); then
  pgb_mode="only the pooler tests"
  [ "${STOWAGE_TEST_PGBOUNCER:-0}" = 1 ] && pgb_mode="EVERY test's database (STOWAGE_TEST_PGBOUNCER=1)"
  tier_state[pgbouncer]="up    $(pgbouncer --version 2>/dev/null | sed -n 1p), transaction mode, in front of $pgb_mode"
  "$ROOT/scripts/pgbouncer.sh" stop "$PGB_STATE" >/dev/null 2>&1 || true
else
  tier_state[pgbouncer]="DOWN  PgBouncer did not start: $(tail -n 3 <<<"$pgb_err" | tr '\n' ' ') (package pgbouncer; log in .ci-state/pgbouncer)"
  report_ok=0
fi
chromium_bin=/usr/bin/chromium
if [ -x "$chromium_bin" ] && [ -x /usr/bin/chromedriver ] \
   && dom=$(timeout 30 "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-background-networking \
              --disable-component-update --no-first-run --user-data-dir="$(mktemp -d)" \
              --dump-dom 'data:text/html,<p>tier</p>' 2>/dev/null) && [[ "$dom" == *"<p>tier</p>"* ]]; then
  tier_state[chromium]="up    $("$chromium_bin" --version 2>/dev/null | sed -n 1p), $(/usr/bin/chromedriver --version | cut -d' ' -f1-2)"
else
  tier_state[chromium]="DOWN  headless Chromium did not render a page (packages chromium chromium-driver)"
  report_ok=0
fi
# Readers read to the end: under pipefail a reader that quits early (head, awk exit) kills the writer with SIGPIPE.
vips_lib=$(/sbin/ldconfig -p 2>/dev/null | awk '/libvips\.so\.42 / && !found { print $NF; found = 1 }' || true)
if [ -n "$vips_lib" ] && [ -r "$vips_lib" ]; then
  tier_state[libvips]="up    $vips_lib"
else
  tier_state[libvips]="DOWN  libvips.so.42 not found by the dynamic linker (package libvips42)"
  report_ok=0
fi
log "tiers:"
for t in gateway clamd pgbouncer chromium libvips; do printf '         %-9s %s\n' "$t" "${tier_state[$t]}"; done
printf '         %-9s %s\n' embedded "embedded S3 server and PostgreSQL (started by the tests)"
if [ "${STOWAGE_TEST_FAULTS:-0}" = 1 ]; then
  printf '         %-9s %s\n' faults "on: jobs.MultiNodeFaultIT runs (STOWAGE_TEST_FAULTS=1, about 4 minutes)"
else
  printf '         %-9s %s\n' faults "off: jobs.MultiNodeFaultIT is skipped and says so; STOWAGE_TEST_FAULTS=1 runs it (about 4 minutes)"
fi
[ "$report_ok" = 1 ] || die "a test tier is down (above); nothing was run"

# ---------------------------------------------------------------- tests
log "running: ./mvnw -B verify $*"
set +e
setsid ./mvnw -B verify "$@" &
MVN_PID=$!
wait "$MVN_PID"
test_rc=$?
set -e
MVN_PID=
log "tests finished with exit code $test_rc"
exit "$test_rc"
