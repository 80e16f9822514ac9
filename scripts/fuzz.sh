#!/usr/bin/env bash
# A fuzzing campaign on one target: scripts/fuzz.sh TARGET MINUTES (docs/fuzzing.md).
#   TARGET   Class#method of dev.iotcbridge.fuzz (e.g. BodyParsingFuzzTest#anyBody), or the method alone;
#            `scripts/fuzz.sh list` lists them
#   MINUTES  how long to fuzz (libFuzzer's -max_total_time)
#   scripts/fuzz.sh snapshot DIR   copies the compiled classes and the test classpath to DIR; with FUZZ_SNAPSHOT=DIR a
#            campaign runs on that copy without building, so that builds during a long campaign change nothing under it
# Runs Jazzer's own driver on the compiled tests, at the lowest CPU priority (the machine is shared). What the
# fuzzer learns (the generated corpus) stays in target/fuzz/corpus/<Class>/<method> between runs; a finding is
# written to src/test/resources/dev/iotcbridge/fuzz/<Class>Inputs/<method>/, where the regression run of
# `mvn -B verify` replays it from then on. Extra arguments go to libFuzzer (e.g. -jobs=2, -seed=1).
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SRC=src/test/java/dev/iotcbridge/fuzz
targets() {
  for f in "$FUZZ_SRC"/*FuzzTest.java; do
    c=$(basename "$f" .java)
    # a target is the method after an @FuzzTest line
    awk -v c="$c" '/@FuzzTest/{t=1; next} t && /void [a-zA-Z]+\(/{match($0, /void [a-zA-Z]+\(/); m=substr($0, RSTART+5, RLENGTH-6); print c "#" m; t=0}' "$f"
  done
}

if [ $# -ge 1 ] && [ "$1" = list ]; then
  targets
  exit 0
fi
if [ $# -ge 2 ] && [ "$1" = snapshot ]; then
  mvn -q -B test-compile
  mkdir -p "$2" target/fuzz
  mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$2/classpath" >/dev/null
  rm -rf "$2/classes" "$2/test-classes"
  cp -r target/classes "$2/classes"
  cp -r target/test-classes "$2/test-classes"
  echo "snapshot in $2 ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ', with uncommitted changes'))"
  exit 0
fi
if [ $# -lt 2 ]; then
  echo "usage: scripts/fuzz.sh TARGET MINUTES [libFuzzer flags...]   (scripts/fuzz.sh list: the targets)" >&2
  exit 2
fi
target=$1
minutes=$2
shift 2
case "$target" in
  *'#'*) ;;
  *) match=$(targets | grep "#$target\$" || true)
     if [ -z "$match" ]; then echo "no target $target; scripts/fuzz.sh list" >&2; exit 2; fi
     target=$match ;;
esac
class=${target%%#*}
method=${target##*#}
if ! targets | grep -x "$class#$method" >/dev/null; then
  echo "no target $class#$method; scripts/fuzz.sh list" >&2
  exit 2
fi

# Coverage is measured in the bridge and in the libraries that parse for it (JSON, jq, HTTP), not in the targets'
# own generators and oracles.
INSTRUMENT="dev.iotcbridge.**:com.fasterxml.jackson.core.**:com.fasterxml.jackson.databind.**:net.thisptr.jackson.jq.**:io.netty.handler.codec.**:okhttp3.**"

mkdir -p target/fuzz
if [ -n "${FUZZ_SNAPSHOT:-}" ]; then
  classpath="$FUZZ_SNAPSHOT/test-classes:$FUZZ_SNAPSHOT/classes:$(cat "$FUZZ_SNAPSHOT/classpath")"
else
  mvn -q -B test-compile
  mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/fuzz/classpath >/dev/null
  classpath="target/test-classes:target/classes:$(cat target/fuzz/classpath)"
fi
corpus="target/fuzz/corpus/$class/$method"
findings="src/test/resources/dev/iotcbridge/fuzz/${class}Inputs/$method"
mkdir -p "$corpus" "$findings"
log="target/fuzz/$class-$method.log"
before=$(ls "$findings" | wc -l)

echo "fuzzing $class#$method for $minutes min (corpus $corpus, findings $findings, log $log)"
# the whole output goes to the log; the console gets a status line a minute and the findings
nice -n 19 java -Xmx2g -XX:+UseParallelGC \
  -Djava.util.logging.config.file=src/test/resources/fuzz-logging.properties \
  -cp "$classpath" com.code_intelligence.jazzer.Jazzer \
  --target_class="dev.iotcbridge.fuzz.$class" --target_method="$method" \
  --instrumentation_includes="$INSTRUMENT" \
  --instrumentation_excludes="dev.iotcbridge.fuzz.**:dev.iotcbridge.faults.**:dev.iotcbridge.testing.**" \
  -max_total_time=$((minutes * 60)) -timeout=10 -print_final_stats=1 -artifact_prefix="$findings/" "$@" \
  "$corpus" "$findings" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null' INT TERM
ticks=0
while kill -0 "$pid" 2>/dev/null; do
  sleep 5
  ticks=$((ticks + 1))
  if [ $((ticks % 12)) -eq 0 ]; then
    line=$(grep -a -E '^#[0-9]+' "$log" | tail -1 | sed -E 's/ (lim|L|MS|DE): .*//' || true)
    if [ -n "$line" ]; then echo "$(date +%T) $line"; fi
  fi
done
set +e
wait "$pid"
status=$?
set -e
grep -a -E '== Java Exception|Test unit written|^ERROR' "$log" || true

after=$(ls "$findings" | wc -l)
last=$(grep -a -E '^#[0-9]+' "$log" | tail -1 || true)
runs=$(grep -a -oE "stat::number_of_executed_units: [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+$" || true)
echo "---"
echo "target:      $class#$method, $minutes min"
echo "executions:  ${runs:-$(echo "$last" | grep -oE '^#[0-9]+' | tr -d '#')}"
echo "coverage:    $(echo "$last" | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' || echo unknown)"
echo "findings:    $((after - before)) new in $findings"
if [ "$status" -ne 0 ]; then
  echo "Jazzer exited with $status: a finding (see $log)"
fi
exit "$status"
