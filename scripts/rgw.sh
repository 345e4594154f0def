#!/usr/bin/env bash
# rgw.sh -- a throw-away single-node Ceph RADOS Gateway for the tests
#
#   scripts/rgw.sh install             apt-get install the Debian packages it needs (if missing)
#   scripts/rgw.sh start [STATE_DIR]   bootstrap or restart it; prints the STOWAGE_TEST_RGW_* lines
#   scripts/rgw.sh env   [STATE_DIR]   print the STOWAGE_TEST_RGW_* lines of the running gateway
#   scripts/rgw.sh stop  [STATE_DIR]   stop its daemons (the cluster's data stays for the next start)
#
# STATE_DIR defaults to .ci-state/rgw under the repository root (git-ignored).  The lines
# printed by start and env are shell-sourceable:
#   set -a; eval "$(scripts/rgw.sh start)"; set +a
# and are also in STATE_DIR/rgw.env while the gateway runs, where the tests look for them
# when the variables are not set.  Env knobs: see rgw/start-rgw.sh and rgw/stop-rgw.sh
# (e.g. RGW_RESET=1 to start from scratch, RGW_LC_DEBUG_INTERVAL=10 seconds per lifecycle day).
# Works from any working directory.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PACKAGES=(ceph-mon ceph-osd radosgw curl)

usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" == ii* ]] || missing+=("$p")
  done
  if [ ${#missing[@]} = 0 ]; then echo "rgw: packages already installed: ${PACKAGES[*]}" >&2; return 0; fi
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "rgw: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
  # apt-get update only when the package lists do not know a missing package (fresh
  # machine, lists never fetched) or when installing from the current lists fails.
  local updated=0
  for p in "${missing[@]}"; do
    if [[ "$(apt-cache policy "$p" 2>/dev/null)" != *"Candidate: "[!\(]* ]]; then
      echo "rgw: package lists do not know $p: apt-get update" >&2
      "${apt[@]}" update -q >&2; updated=1; break
    fi
  done
  echo "rgw: installing ${missing[*]}" >&2
  if ! "${apt[@]}" install -y -q --no-install-recommends "${missing[@]}" >&2; then
    [ "$updated" = 0 ] || exit 1
    echo "rgw: install failed with the current package lists: apt-get update and retry" >&2
    "${apt[@]}" update -q >&2
    "${apt[@]}" install -y -q --no-install-recommends "${missing[@]}" >&2
  fi
}

print_env() { # prints rgw.env if the gateway of STATE answers
  local state=$1 pidf p endpoint
  [ -s "$state/rgw.env" ] || { echo "rgw: no running gateway in $state (no rgw.env): run scripts/rgw.sh start" >&2; exit 1; }
  pidf="$state/run/client.rgw.gw.pid"
  p=$(cat "$pidf" 2>/dev/null || true)
  if [ -z "$p" ] || [ "$(cat "/proc/$p/comm" 2>/dev/null)" != radosgw ]; then
    echo "rgw: radosgw of $state is not running: run scripts/rgw.sh start" >&2; exit 1
  fi
  endpoint=$(sed -n 's/^STOWAGE_TEST_RGW_ENDPOINT=//p' "$state/rgw.env")
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/")" != 200 ]; then
    echo "rgw: radosgw of $state (pid $p) does not answer on $endpoint" >&2; exit 1
  fi
  cat "$state/rgw.env"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
[ $# -le 1 ] || usage
STATE=${1:-$ROOT/.ci-state/rgw}
case "$cmd" in
  install) [ $# = 0 ] || usage; install_packages ;;
  start)   exec "$HERE/rgw/start-rgw.sh" "$STATE" ;;
  stop)    exec "$HERE/rgw/stop-rgw.sh" "$STATE" ;;
  env)     print_env "$STATE" ;;
  *)       usage ;;
esac
