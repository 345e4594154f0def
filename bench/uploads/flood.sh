#!/usr/bin/env bash
# One-user flood on the embedded servers with the default per-user limits (dev.stowage.bench.FloodBench): a backlog
# of abandoned sessions past their lifetime is inserted first (what an unlimited flood left behind), then one user
# floods POST /v1/uploads for a bounded time while another user PUTs an upload and never completes it. Prints the
# requests accepted and refused (429, by code), the other user's wait until their upload is handled, the time to
# clear the backlog, and the reconciler passes' median and longest time.
#
#   bench/uploads/flood.sh
#
# Environment (all optional):
#   SECONDS_=60        length of the flood
#   CONNECTIONS=16     concurrent connections of the flooding user
#   BACKLOG=52000      abandoned sessions of another user, past their lifetime, inserted before the flood
#   INTERVAL=10        seconds between reconciler passes (uploads.reconcile_interval_seconds)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
die() { echo "flood.sh: $*" >&2; exit 1; }

if [ -z "${JAVA_HOME:-}" ]; then
  JAVA_HOME="$(ls -d /usr/lib/jvm/*25* 2>/dev/null | sort | tail -n 1 || true)"
  [ -n "$JAVA_HOME" ] || die "set JAVA_HOME to a JDK 25"
  export JAVA_HOME
fi
JAVA="$JAVA_HOME/bin/java"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/stowage-flood.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
(cd "$ROOT" && ./mvnw -q -DskipTests test-compile dependency:build-classpath \
    -Dmdep.outputFile="$tmp/classpath.txt" -Dmdep.includeScope=test) >"$tmp/build.log" 2>&1 \
  || { tail -30 "$tmp/build.log" >&2; die "build failed"; }
"$JAVA" -Djava.io.tmpdir="$tmp" -Dlogback.configurationFile="$HERE/roundtrip-logback.xml" \
    -cp "$ROOT/target/test-classes:$ROOT/target/classes:$(cat "$tmp/classpath.txt")" \
    dev.stowage.bench.FloodBench "${SECONDS_:-60}" "${CONNECTIONS:-16}" "${BACKLOG:-52000}" "${INTERVAL:-10}" 2>"$tmp/stderr.log" \
  || { tail -30 "$tmp/stderr.log" >&2; die "bench failed"; }
