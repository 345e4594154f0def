#!/usr/bin/env bash
# Image-variant benchmark: Stowage's two engines — pure Java and libvips through FFM — against Sharp 0.35
# (libvips) on the same job — thumb (150×150 cover, WebP q80), medium (≤ 800 px wide, WebP q80) and original
# (metadata stripped) per image — in interleaved rounds (Java, libvips, Sharp, Java, libvips, Sharp, …), each
# round a fresh process per engine with warm-up passes and measured passes. See README.md.
#
#   bench/images/run.sh
#
# Scenarios: the 15 photos at 1 thread, at 2 threads, and the 8000×6000 JPEG alone (1 thread).
#
# Environment (all optional):
#   ROUNDS=5                 rounds per scenario (each: one process per engine, in the order of ENGINES)
#   ENGINES="java vips sharp"  the engines measured (sharp is the anchor of the ratios and must stay)
#   WARMUP=1 PASSES=3        warm-up and measured passes per process (a pass = the whole file list)
#   HUGE_WARMUP=1 HUGE_PASSES=3   the same for the 8000×6000 JPEG
#   MAX_SECONDS=540          no new round starts after this many seconds of measuring (a round already
#                            started finishes): bounds the run on a slow or busy machine
#   PROC_TIMEOUT=240         a process running longer than this is killed and its round dropped
#   STOWAGE_JAVA_OPTS        JVM flags of the Java-engine process (default below; see README.md, "JVM flags")
#   VIPS_JAVA_OPTS           JVM flags of the libvips-engine process (default below)
#   MODE=all                 all: thumb and medium from one renderAll() call, one decode (as
#                            VariantService.generateAll does); separate: two render() calls, one decode each
#   FIXTURES=DIR             the fixture images (default: src/test/resources/fixtures/images)
#   SKIP_BUILD=1             reuse target/ and the classpath file from an earlier run (CP_FILE=...)
#   OUT=FILE                 also write every process's JSON result there (one line each)
#   KEEP=1                   keep the temporary directory (outputs of the last pass, JSON, logs)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ROUNDS="${ROUNDS:-5}" WARMUP="${WARMUP:-1}" PASSES="${PASSES:-3}"
HUGE_WARMUP="${HUGE_WARMUP:-1}" HUGE_PASSES="${HUGE_PASSES:-3}"
MAX_SECONDS="${MAX_SECONDS:-540}" PROC_TIMEOUT="${PROC_TIMEOUT:-240}" MODE="${MODE:-all}"
FIXTURES="${FIXTURES:-$ROOT/src/test/resources/fixtures/images}"
# -Xmx256m: the largest job (the 8000×6000 JPEG, decoded at 1/3 for the medium) needs ≈ 100 MB of heap at
# once, two photo jobs in parallel ≈ 150 MB; 256 MiB leaves room for the collector without letting the
# heap grow towards the JVM's default (¼ of RAM, 6 GiB here), which only raises the RSS. See README.md.
STOWAGE_JAVA_OPTS="${STOWAGE_JAVA_OPTS:--Xmx256m -XX:+UseG1GC}"
# the libvips engine decodes in native memory: the heap holds only the source and the encoded outputs
VIPS_JAVA_OPTS="${VIPS_JAVA_OPTS:--Xmx128m -XX:+UseG1GC}"
ENGINES="${ENGINES:-java vips sharp}"

die() { echo "run.sh: $*" >&2; exit 1; }
for tool in node npm timeout; do command -v "$tool" >/dev/null || die "$tool is required (see bench/images/README.md)"; done
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
"$JAVA" -version 2>&1 | grep -E 'version "(2[5-9]|[3-9][0-9])' >/dev/null || die "Java 25+ is required: set JAVA_HOME"
[ -d "$FIXTURES/photos" ] && [ -f "$FIXTURES/special/huge_8000x6000.jpg" ] || die "fixtures not found in $FIXTURES (set FIXTURES)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/stowage-bench-images.XXXXXX")"
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "${KEEP:-0}" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 130 ]; }; then
    echo "results and logs kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Sharp: installed from the lock file when missing ---------------------------------------------
if [ ! -f "$HERE/sharp/node_modules/sharp/package.json" ]; then
  echo "installing sharp (bench/images/sharp/package-lock.json) …"
  (cd "$HERE/sharp" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in bench/images/sharp"
fi
node -e "require('$HERE/sharp/node_modules/sharp')" 2>/dev/null || die "sharp does not load (its prebuilt libvips is the @img/sharp-* package for this platform)"

# --- Stowage: main and test classes, runtime classpath ---------------------------------------------
CP_FILE="${CP_FILE:-$WORK/classpath.txt}"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "building (mvnw test-compile) …"
  (cd "$ROOT" && ./mvnw -q -DskipTests test-compile dependency:build-classpath \
      -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=runtime) >"$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log" >&2; die "build failed (log: $WORK/build.log)"; }
fi
[ -f "$CP_FILE" ] && [ -f "$ROOT/target/test-classes/dev/stowage/bench/ImageBench.class" ] || die "no build output (run without SKIP_BUILD)"
CP="$ROOT/target/test-classes:$ROOT/target/classes:$(cat "$CP_FILE")"

find "$FIXTURES/photos" -maxdepth 1 -type f | sort >"$WORK/photos.txt"
[ "$(wc -l <"$WORK/photos.txt")" -gt 0 ] || die "no photos in $FIXTURES/photos"
echo "$FIXTURES/special/huge_8000x6000.jpg" >"$WORK/huge.txt"
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"

# run ENGINE SCENARIO ROUND LIST THREADS WARMUP PASSES: one process, its JSON line appended to RESULTS
run() {
  local engine=$1 scenario=$2 round=$3 list=$4 threads=$5 warmup=$6 passes=$7 out json
  out="$WORK/out/$scenario/$engine"
  mkdir -p "$out"
  local args=(--threads "$threads" --passes "$passes" --warmup "$warmup" --list "$list" --out "$out")
  local cmd
  if [ "$engine" = java ]; then
    # shellcheck disable=SC2086 # the options are words
    cmd=("$JAVA" $STOWAGE_JAVA_OPTS --enable-native-access=ALL-UNNAMED -cp "$CP" dev.stowage.bench.ImageBench --engine java --mode "$MODE" "${args[@]}")
  elif [ "$engine" = vips ]; then
    # shellcheck disable=SC2086 # the options are words
    cmd=("$JAVA" $VIPS_JAVA_OPTS --enable-native-access=ALL-UNNAMED -cp "$CP" dev.stowage.bench.ImageBench --engine vips --mode "$MODE" "${args[@]}")
  else
    cmd=(node "$HERE/sharp_bench.js" "${args[@]}")
  fi
  if json="$(timeout --kill-after=10 "$PROC_TIMEOUT" "${cmd[@]}" 2>>"$WORK/$engine.log" | tail -1)" && [ -n "$json" ]; then
    printf '{"scenario":"%s","round":%d,"result":%s}\n' "$scenario" "$round" "$json" >>"$RESULTS"
    node -e 'const r = JSON.parse(process.argv[1]); const p = r.passMs.map(x => x.toFixed(0)).join(" ");
      const e = Object.keys(r.errors).length;
      console.log(`  ${process.argv[2].padEnd(8)} passes ${p} ms, peak RSS ${(r.vmHwmKiB / 1024).toFixed(0)} MiB${e ? `, ${e} errors` : ""}`);' "$json" "$engine"
  else
    echo "  $engine: failed or timed out (log: $WORK/$engine.log)" >&2
  fi
}

echo "engines: $ENGINES; Java engine JVM: $STOWAGE_JAVA_OPTS; libvips engine JVM: $VIPS_JAVA_OPTS (mode $MODE)"
echo "$ROUNDS rounds, $WARMUP+$PASSES passes (huge: $HUGE_WARMUP+$HUGE_PASSES)"
START=$SECONDS
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r > 1 && SECONDS - START > MAX_SECONDS)); then
    echo "time budget of ${MAX_SECONDS}s spent: stopping after $((r - 1)) rounds" >&2
    break
  fi
  echo "round $r/$ROUNDS ($((SECONDS - START)) s)"
  echo " photos, 1 thread"
  for e in $ENGINES; do run "$e" photos-1t "$r" "$WORK/photos.txt" 1 "$WARMUP" "$PASSES"; done
  echo " photos, 2 threads"
  for e in $ENGINES; do run "$e" photos-2t "$r" "$WORK/photos.txt" 2 "$WARMUP" "$PASSES"; done
  echo " 8000×6000 JPEG, 1 thread"
  for e in $ENGINES; do run "$e" huge-1t "$r" "$WORK/huge.txt" 1 "$HUGE_WARMUP" "$HUGE_PASSES"; done
done
echo "measured for $((SECONDS - START)) s"

[ -n "${OUT:-}" ] && cp "$RESULTS" "$OUT"
node "$HERE/report.js" "$RESULTS"
