#!/usr/bin/env bash
# Scale benchmark: Stowage on a database filled with FILES files rows (bulk SQL: src/test/resources/scale/fill.sql)
# against an empty one, in one run (dev.stowage.bench.ScaleBench on the embedded PostgreSQL and S3 server).
# Prints the fill time, then for each database: POST /v1/uploads throughput and p50/p99, GET /v1/files first
# page and a deep page (keyset cursor) of the largest account, one reconciler pass, one retention sweep and one
# cost snapshot (rows touched, time, bytes allocated). See README.md.
#
#   bench/scale/run.sh
#
# Environment (all optional):
#   FILES=10000000     files rows of the full database (half of them in 5 accounts; 1 % pending uploads)
#   ACCOUNTS=FILES/100 accounts
#   SECONDS_=20        seconds per measured load (a warm-up of half that goes first)
#   CONNECTIONS=16     concurrent connections of each load
#   LISTING_RATE=100   requests per second of the steady (open-loop) listing measure
#   JOURNAL=1000000    entries of the migration journal run `migrate status` is measured on (full database)
#   SCALE_JAVA_OPTS    more JVM options of the bench process (a flight recording, say)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
die() { echo "run.sh: $*" >&2; exit 1; }

FILES="${FILES:-10000000}"
ACCOUNTS="${ACCOUNTS:-$((FILES / 100 > 100 ? FILES / 100 : 100))}"
if [ -z "${JAVA_HOME:-}" ]; then
  JAVA_HOME="$(ls -d /usr/lib/jvm/*25* 2>/dev/null | sort | tail -n 1 || true)"
  [ -n "$JAVA_HOME" ] || die "set JAVA_HOME to a JDK 25"
  export JAVA_HOME
fi
JAVA="$JAVA_HOME/bin/java"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/stowage-scale.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# about 1.5 GB of database per million files rows (files, variants, indexes) and half that again for the backup
need_kb=$((FILES / 1000000 * 2400000 + 2000000))
avail_kb="$(df -Pk "$tmp" | awk 'NR == 2 { print $4 }')"
[ "$avail_kb" -gt "$need_kb" ] || die "about $((need_kb / 1000000)) GB free needed under $tmp, $((avail_kb / 1000000)) GB there (set TMPDIR or a smaller FILES)"

(cd "$ROOT" && ./mvnw -q -DskipTests test-compile dependency:build-classpath \
    -Dmdep.outputFile="$tmp/classpath.txt" -Dmdep.includeScope=test) >"$tmp/build.log" 2>&1 \
  || { tail -30 "$tmp/build.log" >&2; die "build failed"; }
"$JAVA" -Xmx2g ${SCALE_JAVA_OPTS:-} -Dscale.listingRate="${LISTING_RATE:-100}" -Dscale.journal="${JOURNAL:-1000000}" -Djava.io.tmpdir="$tmp" -Dlogback.configurationFile="$ROOT/bench/uploads/roundtrip-logback.xml" \
    -cp "$ROOT/target/test-classes:$ROOT/target/classes:$(cat "$tmp/classpath.txt")" \
    dev.stowage.bench.ScaleBench "$FILES" "$ACCOUNTS" "${SECONDS_:-20}" "${CONNECTIONS:-16}" 2>"$tmp/stderr.log" \
  || { tail -30 "$tmp/stderr.log" >&2; die "bench failed"; }
