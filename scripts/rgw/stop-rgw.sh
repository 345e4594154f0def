#!/usr/bin/env bash
# stop-rgw.sh STATE_DIR -- usually called through scripts/rgw.sh stop
#
# Stops the daemons start-rgw.sh started, by the PIDs in STATE_DIR/run/*.pid (checked
# against /proc/PID/comm and the daemon's CEPH_CONF, so a recycled PID is never
# signalled).  SIGTERM, then SIGKILL after RGW_STOP_TIMEOUT (default 15) seconds.
# Removes STATE_DIR/rgw.env (there is no gateway to connect to any more) but keeps the
# cluster, so the next start is a quick restart with the same data, ports and keys
# (RGW_RESET=1 start-rgw.sh or rm -rf STATE_DIR starts from scratch).
# RGW_STOP_WIPE=1 also deletes the state dir's contents afterwards.
set -uo pipefail
STATE=${1:?usage: stop-rgw.sh STATE_DIR}
[ -d "$STATE" ] || { echo "no state dir $STATE: nothing to stop" >&2; exit 0; }
STATE=$(cd "$STATE" && pwd)
TMO=${RGW_STOP_TIMEOUT:-15}
declare -A COMM=([mon.a]=ceph-mon [osd.0]=ceph-osd [client.rgw.gw]=radosgw)
alive() { [ -r "/proc/$1/stat" ] && ! awk '{exit ($3=="Z")?0:1}' "/proc/$1/stat" 2>/dev/null; }
T0=$(date +%s%N)
rc=0
rm -f "$STATE/rgw.env"
for n in client.rgw.gw osd.0 mon.a; do   # reverse start order
  f="$STATE/run/$n.pid"
  [ -s "$f" ] || continue
  p=$(cat "$f")
  if ! alive "$p" || [ "$(cat "/proc/$p/comm" 2>/dev/null)" != "${COMM[$n]}" ] \
     || ! grep -qF -- "$STATE/ceph.conf" "/proc/$p/environ" 2>/dev/null; then
    echo "$n: pid $p not running (stale pid file)" >&2; rm -f "$f"; continue
  fi
  kill -TERM "$p" 2>/dev/null
  end=$(( $(date +%s) + TMO ))
  while alive "$p" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
  if alive "$p"; then
    echo "$n: pid $p ignored SIGTERM for ${TMO}s, sending SIGKILL" >&2
    kill -KILL "$p" 2>/dev/null; sleep 0.5
    alive "$p" && { echo "$n: pid $p still alive" >&2; rc=1; continue; }
  fi
  rm -f "$f"
  d=$(( ($(date +%s%N) - T0) / 100000000 )); printf '%s (pid %s) stopped at +%d.%ds\n' "$n" "$p" $((d / 10)) $((d % 10)) >&2
done
if [ "${RGW_STOP_WIPE:-0}" = 1 ] && [ -e "$STATE/.rgw-state" ]; then
  find "$STATE" -mindepth 1 -delete && echo "wiped $STATE" >&2
fi
exit $rc
