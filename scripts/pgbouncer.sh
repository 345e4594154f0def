#!/usr/bin/env bash
# pgbouncer.sh -- a throw-away PgBouncer in transaction mode in front of a PostgreSQL, for the tests
#
#   scripts/pgbouncer.sh start [STATE_DIR]   start it (or keep the one running); prints the STOWAGE_TEST_PGBOUNCER_* lines
#   scripts/pgbouncer.sh env   [STATE_DIR]   print the STOWAGE_TEST_PGBOUNCER_* lines of the running PgBouncer
#   scripts/pgbouncer.sh stop  [STATE_DIR]   stop it
#
# STATE_DIR defaults to .ci-state/pgbouncer under the repository root (git-ignored).  The lines printed
# by start and env are shell-sourceable:
#   set -a; eval "$(PGBOUNCER_UPSTREAM=127.0.0.1:5432 scripts/pgbouncer.sh start)"; set +a
# and are also in STATE_DIR/pgbouncer.env while PgBouncer runs.  Works from any working directory.
#
# Needs Debian's pgbouncer.  It listens on 127.0.0.1 only (no Unix socket), in pool_mode = transaction
# (each transaction of a client may run on another server connection: what Stowage's
# database.pooler: transaction is for), and forwards every database name to the same name upstream
# ("* =" fallback), logging in there as PGBOUNCER_UPSTREAM_USER whatever user the client names
# (auth_type = any: loopback test use only, never a production setting).  It never runs as root: started
# by root it switches to the user "nobody" (pgbouncer -u), and STATE_DIR must be reachable by that user.
#
# Settings, chosen deliberately:
#   ignore_startup_parameters = extra_float_digits   pgjdbc sends it in every start-up packet
#   server_idle_timeout 10                           tests create many databases: idle server
#                                                    connections of a finished test go within seconds
#   default_pool_size 20, max_client_conn 2000
#
# Env knobs (all optional):
#   PGBOUNCER_UPSTREAM=127.0.0.1:5432  the PostgreSQL behind it (host:port)
#   PGBOUNCER_UPSTREAM_USER=postgres   the user it logs in as upstream (no password: a trust-auth test server)
#   PGBOUNCER_PORT=6432                fixed port (default: the previous run's port if free, else a free one)
#   PGBOUNCER_START_TIMEOUT=15         seconds to wait for it to answer after starting
#   PGBOUNCER_STOP_TIMEOUT=10          seconds between SIGINT and SIGKILL
#   PGBOUNCER_BIN=/usr/sbin/pgbouncer  the daemon
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
START_TIMEOUT=${PGBOUNCER_START_TIMEOUT:-15}
STOP_TIMEOUT=${PGBOUNCER_STOP_TIMEOUT:-10}
UPSTREAM=${PGBOUNCER_UPSTREAM:-127.0.0.1:5432}
UPSTREAM_USER=${PGBOUNCER_UPSTREAM_USER:-postgres}

usage() { sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
log() { printf 'pgbouncer: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
die_log() { # die, showing what PgBouncer said
  if [ -s "$STATE/pgbouncer.log" ]; then echo "--- tail $STATE/pgbouncer.log" >&2; tail -n 15 "$STATE/pgbouncer.log" >&2; fi
  die "$@"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
[ $# -le 1 ] || usage
case "$cmd" in start|stop|env) ;; *) usage ;; esac
STATE=${1:-$ROOT/.ci-state/pgbouncer}
if [ ! -d "$STATE" ]; then
  [ "$cmd" = start ] || { log "no state dir $STATE: no PgBouncer there"; [ "$cmd" = stop ]; exit; }
  mkdir -p "$STATE"
fi
STATE=$(cd "$STATE" && pwd)

pid_of() { # prints the pid if the PgBouncer of this state dir runs
  local p
  p=$(cat "$STATE/pgbouncer.pid" 2>/dev/null) || return 1
  [[ "$p" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pgbouncer ] || return 1
  tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -xF -- "$STATE/pgbouncer.ini" >/dev/null || return 1
  echo "$p"
}
alive() { [ -r "/proc/$1/stat" ] && ! awk '{exit ($3=="Z")?0:1}' "/proc/$1/stat" 2>/dev/null; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
answers() { # a PostgreSQL-protocol server on port $1: an SSLRequest gets 'N' (no TLS here) or 'S'
  local reply
  # shellcheck disable=SC2016  # $1 expands in the child shell
  reply=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "\x00\x00\x00\x08\x04\xd2\x16\x2f" >&3 && head -c 1 <&3' _ "$1" 2>/dev/null) || return 1
  [ "$reply" = N ] || [ "$reply" = S ]
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
env_lines() { printf 'STOWAGE_TEST_PGBOUNCER_HOST=127.0.0.1\nSTOWAGE_TEST_PGBOUNCER_PORT=%s\n' "$1"; }

stop_pgbouncer() {
  local p end
  rm -f "$STATE/pgbouncer.env"
  if ! p=$(pid_of); then log "no PgBouncer running for $STATE"; return 0; fi
  kill -INT "$p" 2>/dev/null || true # SIGINT: shut down now, without waiting for clients
  end=$(( $(date +%s) + STOP_TIMEOUT ))
  while alive "$p" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
  if alive "$p"; then
    log "pid $p ignored SIGINT for ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$p" 2>/dev/null || true; sleep 0.5
    alive "$p" && { log "pid $p still alive"; return 1; }
  fi
  rm -f "$STATE/pgbouncer.pid"
  log "stopped (pid $p)"
}

print_env() {
  local p port
  [ -s "$STATE/pgbouncer.env" ] || { echo "pgbouncer: no running PgBouncer in $STATE (no pgbouncer.env): run scripts/pgbouncer.sh start" >&2; exit 1; }
  p=$(pid_of) || { echo "pgbouncer: the PgBouncer of $STATE is not running: run scripts/pgbouncer.sh start" >&2; exit 1; }
  port=$(sed -n 's/^STOWAGE_TEST_PGBOUNCER_PORT=//p' "$STATE/pgbouncer.env")
  answers "$port" || { echo "pgbouncer: the PgBouncer of $STATE (pid $p) does not answer on 127.0.0.1:$port" >&2; exit 1; }
  cat "$STATE/pgbouncer.env"
}

write_conf() { # $1 = file, $2 = port
  local host=${UPSTREAM%:*} uport=${UPSTREAM##*:}
  [[ "$uport" =~ ^[0-9]+$ ]] && [ -n "$host" ] || die "PGBOUNCER_UPSTREAM must be host:port, got '$UPSTREAM'"
  cat >"$1" <<EOF
;; generated by scripts/pgbouncer.sh: loopback only, transaction pooling, test use only
[databases]
* = host=$host port=$uport user=$UPSTREAM_USER

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $2
unix_socket_dir =
auth_type = any
pool_mode = transaction
ignore_startup_parameters = extra_float_digits
max_client_conn = 2000
default_pool_size = 20
server_idle_timeout = 10
server_connect_timeout = 5
logfile = $STATE/pgbouncer.log
pidfile = $STATE/pgbouncer.pid
log_connections = 0
log_disconnections = 0
EOF
}

start_pgbouncer() {
  local p port old_port b
  for b in "${PGBOUNCER_BIN:-}" "$(command -v pgbouncer || true)" /usr/sbin/pgbouncer; do
    [ -n "$b" ] && [ -x "$b" ] && { PGBOUNCER=$b; break; }
  done
  [ -n "${PGBOUNCER:-}" ] || die "pgbouncer not found: apt-get install --no-install-recommends pgbouncer (or set PGBOUNCER_BIN)"
  if [ ! -e "$STATE/.pgbouncer-state" ]; then
    [ -z "$(ls -A "$STATE")" ] || die "$STATE is not empty and not ours (no .pgbouncer-state marker); choose another STATE_DIR"
    touch "$STATE/.pgbouncer-state"
  fi
  old_port=$(cat "$STATE/port" 2>/dev/null || true)
  port=${PGBOUNCER_PORT:-$old_port}

  if p=$(pid_of); then
    write_conf "$STATE/pgbouncer.ini.new" "$port"
    if [ -n "$port" ] && cmp -s "$STATE/pgbouncer.ini.new" "$STATE/pgbouncer.ini" && answers "$port"; then
      rm -f "$STATE/pgbouncer.ini.new"
      log "already running (pid $p) on 127.0.0.1:$port"
      env_lines "$port" > "$STATE/pgbouncer.env"
      env_lines "$port"
      return 0
    fi
    log "configuration or health changed: restarting (pid $p)"
    stop_pgbouncer
  fi
  rm -f "$STATE/pgbouncer.ini.new"

  if [ -z "$port" ]; then
    port=$(free_port)
  elif port_busy "$port"; then
    [ -z "${PGBOUNCER_PORT:-}" ] || die "port $port (PGBOUNCER_PORT) is taken by another process"
    log "port $port of the previous run is taken: choosing another"
    port=$(free_port)
  fi
  write_conf "$STATE/pgbouncer.ini" "$port"
  rm -f "$STATE/pgbouncer.pid"
  : > "$STATE/pgbouncer.log"
  echo "$port" > "$STATE/port"

  local as=()
  if [ "$(id -u)" = 0 ]; then
    # PgBouncer refuses to run as root; it switches to nobody before opening its log and pid file
    id nobody >/dev/null 2>&1 || die "started as root, but there is no user 'nobody' to run PgBouncer as"
    chown nobody "$STATE" "$STATE/pgbouncer.log"
    as=(-u nobody)
  fi
  # -d: it checks the configuration, then detaches (its output goes to pgbouncer.log)
  if ! "$PGBOUNCER" -d "${as[@]}" "$STATE/pgbouncer.ini" </dev/null >>"$STATE/pgbouncer.log" 2>&1; then
    if [ "$(id -u)" = 0 ] && grep -qs 'Permission denied' "$STATE/pgbouncer.log"; then
      log "hint: the user nobody must be able to reach $STATE (every folder above it needs o+x)"
    fi
    die_log "pgbouncer did not start (configuration $STATE/pgbouncer.ini)"
  fi
  local end=$(( $(date +%s) + START_TIMEOUT ))
  until answers "$port"; do
    [ "$(date +%s)" -lt "$end" ] || die_log "pgbouncer did not answer on 127.0.0.1:$port within ${START_TIMEOUT}s"
    sleep 0.05
  done
  p=$(pid_of) || die_log "something answers on 127.0.0.1:$port but $STATE/pgbouncer.pid names no running PgBouncer"
  env_lines "$port" > "$STATE/pgbouncer.env.tmp" && mv -f "$STATE/pgbouncer.env.tmp" "$STATE/pgbouncer.env"
  log "ready (pid $p) on 127.0.0.1:$port, transaction pooling in front of $UPSTREAM"
  env_lines "$port"
}

case "$cmd" in
  start) start_pgbouncer ;;
  stop)  stop_pgbouncer ;;
  env)   print_env ;;
esac
