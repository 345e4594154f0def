#!/usr/bin/env bash
# start-rgw.sh STATE_DIR -- usually called through scripts/rgw.sh start
#
# Boots a throw-away single-node Ceph cluster (1 mon, 1 memstore OSD, no mgr) plus a
# RADOS Gateway (beast) on 127.0.0.1, from Debian 12's ceph 16.2 packages.  No systemd,
# no cephadm, no containers, no cephx: loopback only, for tests.
#
# Idempotent:
#   * state dir missing/empty/half-bootstrapped -> wipe it and bootstrap from scratch
#   * state dir bootstrapped, daemons stopped    -> restart daemons on the same ports
#   * daemons already running                    -> just wait for S3 and print info
#
# Needs: apt-get install --no-install-recommends ceph-mon ceph-osd radosgw curl
#   (scripts/rgw.sh install does that)
#
# Env knobs (all optional):
#   RGW_ACCESS_KEY / RGW_SECRET_KEY   S3 credentials of user "tester" (bootstrap only)
#   RGW_PORT / RGW_MON_PORT           fixed ports (default: pick free ones at bootstrap)
#   RGW_LC_DEBUG_INTERVAL=10          seconds that count as one lifecycle "day" (0 = off)
#   RGW_MEMSTORE_BYTES=4294967296     capacity the memstore OSD reports
#   RGW_EXTRA_CONF="a = b\nc = d"     extra lines for the [client.rgw.gw] section (bootstrap only)
#   RGW_START_TIMEOUT=180             seconds to wait for each readiness step
#   RGW_RESET=1                       wipe the state dir (stopping its daemons) first
#
# Daemons get stdin/stdout/stderr redirected to files, so `start-rgw.sh | tee` or
# $(start-rgw.sh) returns instead of waiting for the daemons to close the pipe.
# Progress goes to stderr.  On success stdout gets shell-sourceable lines
#   STOWAGE_TEST_RGW_ENDPOINT=http://127.0.0.1:PORT
#   STOWAGE_TEST_RGW_ACCESS_KEY=...
#   STOWAGE_TEST_RGW_SECRET_KEY=...
#   STOWAGE_TEST_RGW_PLAIN_ACCESS_KEY=...   (a user without admin capabilities)
#   STOWAGE_TEST_RGW_PLAIN_SECRET_KEY=...
# and the same lines are written to STATE_DIR/rgw.env (removed again by stop-rgw.sh).
set -euo pipefail

STATE=${1:?usage: start-rgw.sh STATE_DIR}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
ACCESS_KEY=${RGW_ACCESS_KEY:-TESTACCESSKEY0000001}
SECRET_KEY=${RGW_SECRET_KEY:-testsecretkey000000000000000000000000001}
# a second user without admin capabilities: what the provider refuses it, Stowage must do without
PLAIN_ACCESS_KEY=${RGW_PLAIN_ACCESS_KEY:-TESTACCESSKEY0000002}
PLAIN_SECRET_KEY=${RGW_PLAIN_SECRET_KEY:-testsecretkey000000000000000000000000002}
LC_INTERVAL=${RGW_LC_DEBUG_INTERVAL:-10}
MEMSTORE_BYTES=${RGW_MEMSTORE_BYTES:-4294967296}
TIMEOUT=${RGW_START_TIMEOUT:-180}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

export CEPH_CONF="$STATE/ceph.conf"
T_START=$(date +%s%N)
elapsed() { local d=$(( ($(date +%s%N) - T_START) / 100000000 )); printf '%d.%d' $((d / 10)) $((d % 10)); }
log() { printf '[rgw %6ss] %s\n' "$(elapsed)" "$*" >&2; }
die() { log "ERROR: $*"; for f in "$STATE"/log/*.log; do [ -f "$f" ] && { echo "--- tail $f" >&2; tail -n 15 "$f" >&2; }; done; exit 1; }
for b in ceph ceph-mon ceph-osd radosgw radosgw-admin monmaptool curl python3; do
  command -v "$b" >/dev/null || { echo "missing $b: run scripts/rgw.sh install (apt-get install --no-install-recommends ceph-mon ceph-osd radosgw curl)" >&2; exit 1; }
done
CEPH() { timeout 60 ceph --connect-timeout 20 "$@"; }

# daemon name -> expected /proc/PID/comm
declare -A COMM=([mon.a]=ceph-mon [osd.0]=ceph-osd [client.rgw.gw]=radosgw)
pid_of() { # prints pid if the daemon from our pid file is alive (and really is that daemon)
  local f="$STATE/run/$1.pid" p
  [ -s "$f" ] || return 1
  p=$(cat "$f")
  [ -d "/proc/$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "${COMM[$1]}" ] && grep -qF -- "$STATE/ceph.conf" "/proc/$p/environ" 2>/dev/null && { echo "$p"; return 0; }
  return 1
}
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # desc, command...
  local desc=$1; shift; local end=$(( $(date +%s) + TIMEOUT ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || die "timed out after ${TIMEOUT}s waiting for $desc"
    sleep 0.5
  done
  log "$desc: ok"
}
s3_up() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RGW_PORT/")" = 200 ]; }
osd_up() { CEPH osd dump 2>/dev/null | grep -q '^osd.0 up'; }

# ---------------------------------------------------------------- reset / decide
if [ "${RGW_RESET:-0}" = 1 ] && [ -e "$STATE/.rgw-state" ]; then
  log "RGW_RESET=1: stopping daemons and wiping $STATE"
  "$HERE/stop-rgw.sh" "$STATE" >&2 || true
  find "$STATE" -mindepth 1 -delete
fi
if [ ! -e "$STATE/.bootstrapped" ]; then
  if [ -n "$(ls -A "$STATE")" ]; then
    [ -e "$STATE/.rgw-state" ] || die "$STATE is not empty and not ours (no .rgw-state marker); refusing to wipe it"
    log "half-bootstrapped state found: stopping leftovers and wiping"
    "$HERE/stop-rgw.sh" "$STATE" >&2 || true
    find "$STATE" -mindepth 1 -delete
  fi
  BOOTSTRAP=1
else
  BOOTSTRAP=0
fi

# Daemon admin sockets (for `ceph daemon ...` debugging) live in run/, unless that path
# would exceed the 107-byte limit of a unix socket path (deep checkouts): then in /tmp.
ASOK_DIR="$STATE/run"
if [ $(( ${#ASOK_DIR} + 19 )) -gt 107 ]; then   # 19 = length of "/client.rgw.gw.asok"
  ASOK_DIR="${TMPDIR:-/tmp}/rgw-asok-$(printf '%s' "$STATE" | md5sum | cut -c1-12)"
  mkdir -p "$ASOK_DIR"
fi

# ---------------------------------------------------------------- bootstrap config
if [ "$BOOTSTRAP" = 1 ]; then
  touch "$STATE/.rgw-state"
  mkdir -p "$STATE"/{run,log,mon,osd,rgw,crash}
  MON_PORT=${RGW_MON_PORT:-$(free_port)}
  RGW_PORT=${RGW_PORT:-$(free_port)}
  [ "$MON_PORT" != "$RGW_PORT" ] || RGW_PORT=$(free_port)
  FSID=$(cat /proc/sys/kernel/random/uuid)
  printf 'MON_PORT=%s\nRGW_PORT=%s\nFSID=%s\nACCESS_KEY=%s\nSECRET_KEY=%s\n' \
    "$MON_PORT" "$RGW_PORT" "$FSID" "$ACCESS_KEY" "$SECRET_KEY" > "$STATE/cluster.env"
  cat > "$STATE/ceph.conf" <<EOF
# generated by start-rgw.sh
[global]
fsid = $FSID
mon_host = v2:127.0.0.1:$MON_PORT
mon_initial_members = a
public_addr = 127.0.0.1
ms_bind_msgr1 = false
ms_bind_ipv6 = false
# loopback-only throw-away cluster: no cephx
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
run_dir = $STATE/run
admin_socket = $ASOK_DIR/\$name.asok
pid_file = $STATE/run/\$name.pid
log_file = $STATE/log/\$name.log
crash_dir = $STATE/crash
mon_data = $STATE/mon/\$cluster-\$id
osd_data = $STATE/osd/\$cluster-\$id
osd_objectstore = memstore
memstore_device_bytes = $MEMSTORE_BYTES
# pacific defaults to osd_fast_shutdown=true, which skips the store umount: memstore then
# never writes its RAM contents to disk and a restarted OSD comes back empty (all I/O hangs)
osd_fast_shutdown = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_max_pg_per_osd = 1000
osd_crush_chooseleaf_type = 0
# do not warn / shut the mon down on a CI disk that is >70% / >95% full
mon_data_avail_warn = 1
mon_data_avail_crit = 0
mon_warn_on_pool_no_redundancy = false
mon_warn_on_insecure_global_id_reclaim_allowed = false
osd_pool_default_flag_nodelete = false

[client.admin]
# the ceph / radosgw-admin CLIs: no admin socket (concurrent calls would fight over one)
admin_socket =

[client.rgw.gw]
rgw_frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw_data = $STATE/rgw
# radosgw defaults ms_mon_client_mode to "secure", impossible without cephx
ms_mon_client_mode = crc
# one lifecycle "day" lasts this many seconds
rgw_lc_debug_interval = $LC_INTERVAL
# allow SSE-C / SSE-KMS over plain http, SSE-KMS "testing" backend with fixed keys
rgw_crypt_require_ssl = false
rgw_crypt_s3_kms_backend = testing
rgw_crypt_s3_kms_encryption_keys = testkey-1=YmluCmJvb3N0CmJvb3N0LWJ1aWxkCmNlcGguY29uZgo= testkey-2=aWIKTWFrZWZpbGUKbWFuCm91dApzcmMKVGVzdGluZwo=
EOF
  if [ -n "${RGW_EXTRA_CONF:-}" ]; then printf '%b\n' "$RGW_EXTRA_CONF" >> "$STATE/ceph.conf"; fi
  log "bootstrap: state=$STATE mon=127.0.0.1:$MON_PORT rgw=127.0.0.1:$RGW_PORT"
  monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$STATE/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$STATE/monmap" >"$STATE/log/mkfs-mon.out" 2>&1 || die "ceph-mon --mkfs failed"
else
  # shellcheck disable=SC1091
  . "$STATE/cluster.env"
  log "existing cluster: state=$STATE mon=127.0.0.1:$MON_PORT rgw=127.0.0.1:$RGW_PORT"
fi

# ---------------------------------------------------------------- mon
if ! pid_of mon.a >/dev/null; then
  port_busy "$MON_PORT" && die "port $MON_PORT (mon) is taken by something else"
  ceph-mon -i a </dev/null >>"$STATE/log/mon.a.stdio" 2>&1 || die "ceph-mon failed to start"
fi
wait_for "mon quorum" CEPH mon stat

# ---------------------------------------------------------------- osd
if [ "$BOOTSTRAP" = 1 ]; then
  OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
  OSD_ID=$(CEPH osd new "$OSD_UUID")
  [ "$OSD_ID" = 0 ] || die "unexpected osd id '$OSD_ID'"
  mkdir -p "$STATE/osd/ceph-0"
  ceph-osd -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$STATE/log/mkfs-osd.out" 2>&1 || die "ceph-osd --mkfs failed"
fi
if ! pid_of osd.0 >/dev/null; then
  ceph-osd -i 0 </dev/null >>"$STATE/log/osd.0.stdio" 2>&1 || die "ceph-osd failed to start"
fi
wait_for "osd.0 up" osd_up
if [ "$BOOTSTRAP" != 1 ]; then
  # memstore writes its RAM to disk at a clean stop, but a pool's placement groups have come back missing
  # after a restart (seen for default.rgw.standard-ia.data): every write to them then waits for ever, and
  # with it RGW's lifecycle workers. Probe each pool with one small write; recreate (empty) the placement
  # groups of a pool that does not answer.
  for pool in $(CEPH osd pool ls); do
    if ! timeout 10 rados -p "$pool" put stowage-start-probe /dev/null >/dev/null 2>&1; then
      pgs=$(CEPH osd pool get "$pool" pg_num | awk '{ print $2 }')
      id=$(CEPH osd pool ls detail | awk -v p="'$pool'" '$3 == p { print $2 }')
      log "pool $pool does not answer writes: recreating its $pgs placement groups (their objects are lost)"
      for ((i = 0; i < pgs; i++)); do CEPH osd force-create-pg "$id.$(printf '%x' "$i")" --yes-i-really-mean-it >/dev/null 2>&1 || true; done
      timeout 30 rados -p "$pool" put stowage-start-probe /dev/null >/dev/null 2>&1 || die "pool $pool still does not answer writes"
    fi
    timeout 10 rados -p "$pool" rm stowage-start-probe >/dev/null 2>&1 || true
  done
fi

# ---------------------------------------------------------------- rgw
if [ "$BOOTSTRAP" = 1 ]; then
  # "user create" is a full (non-raw) radosgw-admin op: it also creates the realm-less
  # default zonegroup/zone and the .rgw.root/default.rgw.* pools.  The placement
  # commands below are "raw" ops that fail with "failed to init zonegroup: (2)" before that.
  radosgw-admin user create --uid=tester --display-name="Test User" \
     --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >"$STATE/user.json" 2>"$STATE/log/user-create.err" \
     || die "radosgw-admin user create failed"
  log "S3 user 'tester' created"
  # Extra storage class for lifecycle transitions; must exist before radosgw starts.
  radosgw-admin zonegroup placement add --rgw-zonegroup default --placement-id default-placement \
      --storage-class STANDARD_IA >"$STATE/log/placement.out" 2>&1 || die "zonegroup placement add failed"
  radosgw-admin zone placement add --rgw-zone default --placement-id default-placement \
      --storage-class STANDARD_IA --data-pool default.rgw.standard-ia.data >>"$STATE/log/placement.out" 2>&1 \
      || die "zone placement add failed"
  # GLACIER too: the backups bucket's default lifecycle transitions there after 90 days (RGW accepts a
  # rule naming an undefined class, so only the placement makes it real)
  radosgw-admin zonegroup placement add --rgw-zonegroup default --placement-id default-placement \
      --storage-class GLACIER >>"$STATE/log/placement.out" 2>&1 || die "zonegroup placement add (GLACIER) failed"
  radosgw-admin zone placement add --rgw-zone default --placement-id default-placement \
      --storage-class GLACIER --data-pool default.rgw.glacier.data >>"$STATE/log/placement.out" 2>&1 \
      || die "zone placement add (GLACIER) failed"
  log "storage classes STANDARD_IA and GLACIER added to default-placement"
fi
# 'tester' may read bucket stats through the admin operations API (the cost view's store size); 'plain' may
# not. Made before radosgw starts (a user made just after waits for the new gateway's cache notification),
# and on a state dir made before them too.
if ! radosgw-admin user info --uid=plain >/dev/null 2>&1; then
  radosgw-admin caps add --uid=tester --caps="buckets=read" >"$STATE/log/caps.out" 2>&1 || die "radosgw-admin caps add failed"
  radosgw-admin user create --uid=plain --display-name="Test User without admin caps" \
     --access-key="$PLAIN_ACCESS_KEY" --secret-key="$PLAIN_SECRET_KEY" >"$STATE/user-plain.json" 2>"$STATE/log/user-plain.err" \
     || die "radosgw-admin user create (plain) failed"
  log "user 'tester' may read bucket stats; user 'plain' created without admin capabilities"
fi
if ! pid_of client.rgw.gw >/dev/null; then
  port_busy "$RGW_PORT" && die "port $RGW_PORT (rgw) is taken by something else"
  radosgw -n client.rgw.gw </dev/null >>"$STATE/log/rgw.stdio" 2>&1 || die "radosgw failed to start"
fi
wait_for "S3 endpoint http://127.0.0.1:$RGW_PORT" s3_up

if [ "$BOOTSTRAP" = 1 ]; then touch "$STATE/.bootstrapped"; fi

ENV_LINES="STOWAGE_TEST_RGW_ENDPOINT=http://127.0.0.1:$RGW_PORT
STOWAGE_TEST_RGW_ACCESS_KEY=$ACCESS_KEY
STOWAGE_TEST_RGW_SECRET_KEY=$SECRET_KEY
STOWAGE_TEST_RGW_PLAIN_ACCESS_KEY=$PLAIN_ACCESS_KEY
STOWAGE_TEST_RGW_PLAIN_SECRET_KEY=$PLAIN_SECRET_KEY"
printf '%s\n' "$ENV_LINES" > "$STATE/rgw.env.tmp" && mv -f "$STATE/rgw.env.tmp" "$STATE/rgw.env"
log "ready (connection settings also in $STATE/rgw.env)"
printf '%s\n' "$ENV_LINES"
