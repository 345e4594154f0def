#!/usr/bin/env bash
# clamd.sh -- a throw-away clamd (ClamAV daemon) with the project's test signatures, for the tests
#
#   scripts/clamd.sh start [STATE_DIR]   start it (or keep the one running); prints the STOWAGE_TEST_CLAMD_* lines
#   scripts/clamd.sh env   [STATE_DIR]   print the STOWAGE_TEST_CLAMD_* lines of the running clamd
#   scripts/clamd.sh stop  [STATE_DIR]   stop it
#
# STATE_DIR defaults to .ci-state/clamd under the repository root (git-ignored).  The lines
# printed by start and env are shell-sourceable:
#   set -a; eval "$(scripts/clamd.sh start)"; set +a
# and are also in STATE_DIR/clamd.env while clamd runs, where the tests look for them when the
# variables are not set.  Works from any working directory.
#
# Needs Debian's clamav-daemon (clamd only: no freshclam, no network).  clamd listens on
# 127.0.0.1 only and loads nothing but the signatures in scripts/clamav/ (ClamAV names them
# "<name>.UNOFFICIAL" in its replies because they are not signed by ClamAV):
#   stowage-test.ndb  Stowage.Test.EICAR-Body       the 68-byte EICAR test string anywhere in a file
#   stowage-test.hdb  Stowage.Test.EICAR-MD5        MD5:size of the EICAR test file itself
#   stowage-test.hsb  Stowage.Test.ClamAV-TestFile  SHA-256:size of clam.exe, the 544-byte test program
#                     that Debian's clamav-testfiles (/usr/share/clamav-testfiles) ships plain and packed,
#                     compressed, archived or embedded in 43 other files; clamd unpacks each of those,
#                     so the hash of the inner program flags all 44 files.
# Hash lines are HASH:SIZE:NAME[:MIN_FLEVEL] (73 = the first engine that reads SHA-256 hashes); body
# lines NAME:TARGET_TYPE:OFFSET:HEX.  Editing a signature file and running start again restarts clamd.
#
# Limits, chosen deliberately (ClamAV 1.4's own defaults are StreamMaxLength 100M, MaxFileSize 100M,
# MaxScanSize 400M, MaxFiles 10000, MaxRecursion 17), small enough that the tests can exceed them cheaply:
#   StreamMaxLength 100M  an INSTREAM upload past this gets "INSTREAM size limit exceeded. ERROR" and
#                         clamd closes the connection; Stowage's scanner.max_stream_bytes must not
#                         exceed it (the tests use 100 MiB = 104857600 bytes on both sides)
#   MaxFileSize 20M       clamd does not scan a file or archive member larger than this: a 25 MB clean
#                         file is not fully scanned (the tests upload one)
#   MaxScanSize 400M      bytes scanned per stream, including what is extracted from archives
#   MaxFiles 1000         archive members scanned per stream (a 1,001-member zip exceeds it)
#   MaxRecursion 17       archive nesting scanned (zips nested 25 deep exceed it)
#   AlertExceedsMax yes   a scan that hit one of these limits answers "Heuristics.Limits.Exceeded.<limit>
#                         FOUND" instead of a silent "OK"; Stowage reads that as "not fully scanned"
#                         (never malware, never clean): without it an over-limit archive passes unseen
# Env knobs (all optional):
#   CLAMD_PORT=3310            fixed port (default: the previous run's port if free, else a free one)
#   CLAMD_START_TIMEOUT=30     seconds to wait for PING -> PONG after starting
#   CLAMD_STOP_TIMEOUT=10      seconds between SIGTERM and SIGKILL
#   CLAMD_BIN=/usr/sbin/clamd  the daemon
#
# The daemon detaches (its output goes to STATE_DIR/clamd.log), so $(clamd.sh start) returns.
# Where AppArmor confines /usr/sbin/clamd to Debian's paths (its profile allows /tmp), the
# daemon's files live in /tmp/stowage-clamd-<hash of STATE_DIR> instead; clamd.env stays in STATE_DIR.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SIGS="$HERE/clamav"
START_TIMEOUT=${CLAMD_START_TIMEOUT:-30}
STOP_TIMEOUT=${CLAMD_STOP_TIMEOUT:-10}

usage() { sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
log() { printf 'clamd: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
die_log() { # die, showing what clamd said
  cat "$RUN/clamd.stdio" >&2 2>/dev/null || true
  if [ -s "$RUN/clamd.log" ]; then echo "--- tail $RUN/clamd.log" >&2; tail -n 15 "$RUN/clamd.log" >&2; fi
  die "$@"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
[ $# -le 1 ] || usage
case "$cmd" in start|stop|env) ;; *) usage ;; esac
STATE=${1:-$ROOT/.ci-state/clamd}
if [ ! -d "$STATE" ]; then
  [ "$cmd" = start ] || { log "no state dir $STATE: no clamd there"; [ "$cmd" = stop ]; exit; }
  mkdir -p "$STATE"
fi
STATE=$(cd "$STATE" && pwd)

RUN=$STATE
if grep -qs '^/usr/sbin/clamd (enforce)' /sys/kernel/security/apparmor/profiles && [[ "$STATE/" != /tmp/* ]]; then
  RUN="/tmp/stowage-clamd-$(printf '%s' "$STATE" | md5sum | cut -c1-12)"
  mkdir -p "$RUN"
fi

pid_of() { # prints clamd's pid if the daemon of this state dir runs
  local p
  p=$(cat "$RUN/clamd.pid" 2>/dev/null) || return 1
  [[ "$p" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = clamd ] || return 1
  tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -xF -- "$RUN/clamd.conf" >/dev/null || return 1
  echo "$p"
}
alive() { [ -r "/proc/$1/stat" ] && ! awk '{exit ($3=="Z")?0:1}' "/proc/$1/stat" 2>/dev/null; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pong() { # clamd on port $1 answers zPING with PONG
  local reply
  # shellcheck disable=SC2016  # $1 expands in the child shell
  reply=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "zPING\0" >&3 && head -c 4 <&3' _ "$1" 2>/dev/null) || return 1
  [ "$reply" = PONG ]
}
free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
    return
  fi
  local p
  for _ in $(seq 1 100); do
    p=$(( 20000 + RANDOM % 40000 ))
    port_busy "$p" || { echo "$p"; return; }
  done
  die "no free port found"
}
env_lines() { printf 'STOWAGE_TEST_CLAMD_HOST=127.0.0.1\nSTOWAGE_TEST_CLAMD_PORT=%s\n' "$1"; }

stop_clamd() {
  local p end
  rm -f "$STATE/clamd.env"
  if ! p=$(pid_of); then log "no clamd running for $STATE"; return 0; fi
  kill -TERM "$p" 2>/dev/null || true
  end=$(( $(date +%s) + STOP_TIMEOUT ))
  while alive "$p" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
  if alive "$p"; then
    log "pid $p ignored SIGTERM for ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$p" 2>/dev/null || true; sleep 0.5
    alive "$p" && { log "pid $p still alive"; return 1; }
  fi
  rm -f "$RUN/clamd.pid"
  log "stopped (pid $p)"
}

print_env() {
  local p port
  [ -s "$STATE/clamd.env" ] || { echo "clamd: no running clamd in $STATE (no clamd.env): run scripts/clamd.sh start" >&2; exit 1; }
  p=$(pid_of) || { echo "clamd: the clamd of $STATE is not running: run scripts/clamd.sh start" >&2; exit 1; }
  port=$(sed -n 's/^STOWAGE_TEST_CLAMD_PORT=//p' "$STATE/clamd.env")
  pong "$port" || { echo "clamd: the clamd of $STATE (pid $p) does not answer PING on 127.0.0.1:$port" >&2; exit 1; }
  cat "$STATE/clamd.env"
}

write_conf() { # $1 = file, $2 = port
  cat >"$1" <<EOF
# generated by scripts/clamd.sh: loopback only, project-owned test signatures only
DatabaseDirectory $RUN/db
TCPAddr 127.0.0.1
TCPSocket $2
Foreground no
PidFile $RUN/clamd.pid
LogFile $RUN/clamd.log
LogTime yes
TemporaryDirectory $RUN/tmp
StreamMaxLength 100M
MaxFileSize 20M
MaxScanSize 400M
MaxFiles 1000
MaxRecursion 17
AlertExceedsMax yes
MaxThreads 4
Bytecode no
EOF
}

start_clamd() {
  local p port old_port f
  for b in "${CLAMD_BIN:-}" "$(command -v clamd || true)" /usr/sbin/clamd; do
    [ -n "$b" ] && [ -x "$b" ] && { CLAMD=$b; break; }
  done
  [ -n "${CLAMD:-}" ] || die "clamd not found: apt-get install --no-install-recommends clamav-daemon (or set CLAMD_BIN)"
  for f in stowage-test.ndb stowage-test.hdb stowage-test.hsb; do
    [ -s "$SIGS/$f" ] || die "missing signature file $SIGS/$f"
  done
  if [ ! -e "$STATE/.clamd-state" ]; then
    [ -z "$(ls -A "$STATE")" ] || die "$STATE is not empty and not ours (no .clamd-state marker); choose another STATE_DIR"
    touch "$STATE/.clamd-state"
  fi
  mkdir -p "$RUN/tmp"
  old_port=$(cat "$STATE/port" 2>/dev/null || true)
  port=${CLAMD_PORT:-$old_port}

  # What this start would run: the signatures of the repository and the configuration.
  rm -rf "$RUN/db.new"; mkdir "$RUN/db.new"
  cp "$SIGS"/stowage-test.* "$RUN/db.new/"
  if p=$(pid_of); then
    write_conf "$RUN/clamd.conf.new" "$port"
    if [ -n "$port" ] && cmp -s "$RUN/clamd.conf.new" "$RUN/clamd.conf" && diff -rq "$RUN/db.new" "$RUN/db" >/dev/null 2>&1 \
       && pong "$port"; then
      rm -rf "$RUN/db.new" "$RUN/clamd.conf.new"
      log "already running (pid $p) on 127.0.0.1:$port"
      env_lines "$port" > "$STATE/clamd.env"
      env_lines "$port"
      return 0
    fi
    log "signatures, configuration or health changed: restarting (pid $p)"
    stop_clamd
  fi

  if [ -z "$port" ]; then
    port=$(free_port)
  elif port_busy "$port"; then
    [ -z "${CLAMD_PORT:-}" ] || die "port $port (CLAMD_PORT) is taken by another process"
    log "port $port of the previous run is taken: choosing another"
    port=$(free_port)
  fi
  rm -rf "$RUN/db"; mv "$RUN/db.new" "$RUN/db"
  write_conf "$RUN/clamd.conf" "$port"
  rm -f "$RUN/clamd.conf.new" "$RUN/clamd.pid"
  echo "$port" > "$STATE/port"

  # Without "Foreground yes" clamd loads the signatures, exits non-zero if that fails, then detaches.
  if ! "$CLAMD" -c "$RUN/clamd.conf" </dev/null >"$RUN/clamd.stdio" 2>&1; then
    if grep -qs 'Permission denied' "$RUN/clamd.stdio"; then
      log "hint: AppArmor or file permissions keep clamd from its files; try a STATE_DIR under /tmp"
    fi
    die_log "clamd did not start (configuration $RUN/clamd.conf)"
  fi
  local end=$(( $(date +%s) + START_TIMEOUT ))
  until pong "$port"; do
    p=$(pid_of) || die_log "clamd exited during start-up"
    [ "$(date +%s)" -lt "$end" ] || die_log "clamd (pid $p) did not answer PING on 127.0.0.1:$port within ${START_TIMEOUT}s"
    sleep 0.05
  done
  p=$(pid_of) || die "clamd answers on 127.0.0.1:$port but its pid file $RUN/clamd.pid names no running clamd"
  env_lines "$port" > "$STATE/clamd.env.tmp" && mv -f "$STATE/clamd.env.tmp" "$STATE/clamd.env"
  log "ready (pid $p) on 127.0.0.1:$port; connection settings also in $STATE/clamd.env"
  env_lines "$port"
}

case "$cmd" in
  start) start_clamd ;;
  stop)  stop_clamd ;;
  env)   print_env ;;
esac
