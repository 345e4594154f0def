#!/usr/bin/env bash
# Upload round trip on the embedded servers: S3 requests Stowage makes per upload (by operation), requests the
# client makes, and the median and p90 wall time from POST /v1/uploads to "ready", for N text uploads of each
# size (dev.stowage.bench.UploadRoundTripBench). With a git ref, the same bench also runs on that ref's code,
# exported to a temporary folder (the bench class is copied in), so the two can be compared on one machine.
#
#   bench/uploads/roundtrip.sh [REF]          e.g. bench/uploads/roundtrip.sh main
#
# Environment (all optional):
#   N=20                             measured uploads per size (after 3 warm-up uploads)
#   SIZES="1024 1048576 25165824"    bytes; above 10,000,000 an upload is multipart (5 MiB parts)
#   KEEP=1                           keep the temporary folder of REF
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
N="${N:-20}" SIZES="${SIZES:-1024 1048576 25165824}" REF="${1:-}"
BENCH=src/test/java/dev/stowage/bench/UploadRoundTripBench.java
die() { echo "roundtrip.sh: $*" >&2; exit 1; }

if [ -z "${JAVA_HOME:-}" ]; then
  JAVA_HOME="$(ls -d /usr/lib/jvm/*25* 2>/dev/null | sort | tail -n 1 || true)"
  [ -n "$JAVA_HOME" ] || die "set JAVA_HOME to a JDK 25"
  export JAVA_HOME
fi
JAVA="$JAVA_HOME/bin/java"

# bench DIR LABEL: builds DIR (main and test classes), runs the bench there, prefixes its lines with LABEL
bench() {
  local dir=$1 label=$2 tmp
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/stowage-roundtrip.XXXXXX")"
  (cd "$dir" && ./mvnw -q -DskipTests test-compile dependency:build-classpath \
      -Dmdep.outputFile="$tmp/classpath.txt" -Dmdep.includeScope=test) >"$tmp/build.log" 2>&1 \
    || { tail -30 "$tmp/build.log" >&2; die "build of $label failed (log: $tmp/build.log)"; }
  "$JAVA" -Djava.io.tmpdir="$tmp" -Dlogback.configurationFile="$HERE/roundtrip-logback.xml" \
      -cp "$dir/target/test-classes:$dir/target/classes:$(cat "$tmp/classpath.txt")" \
      dev.stowage.bench.UploadRoundTripBench "$N" $SIZES 2>"$tmp/stderr.log" | grep '^size=' | sed "s/^/$label /" \
    || { tail -30 "$tmp/stderr.log" >&2; die "bench of $label failed (log: $tmp/stderr.log)"; }
  rm -rf "$tmp"
}

if [ -n "$REF" ]; then
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/stowage-roundtrip-ref.XXXXXX")"
  [ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
  git -C "$ROOT" archive "$REF" | tar -x -C "$WORK" || die "cannot export $REF"
  mkdir -p "$WORK/$(dirname "$BENCH")"
  cp "$ROOT/$BENCH" "$WORK/$BENCH"
  bench "$WORK" "$REF"
fi
bench "$ROOT" "$(git -C "$ROOT" rev-parse --abbrev-ref HEAD)"
