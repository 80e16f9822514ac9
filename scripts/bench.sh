#!/usr/bin/env bash
# The load benchmark of issue 5 (docs/performance.md). Build first: mvn -q package -DskipTests
#   scripts/bench.sh throughput --devices 1000 --concurrency 32 --seconds 20 --hub-latency-ms 0
#   scripts/bench.sh cold [--devices 20,50,200,1000] [--dps-retry-after 3]
#   scripts/bench.sh outage [--devices 1000] [--outage-seconds 120] [--outage-answer refuse|503] [--send-interval 10]
#   scripts/bench.sh startup | heap | failures | all
# It starts the simulator and the bridge as separate processes on loopback and prints what it measured.
# It never fails on speed; it exits non-zero only when it cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=target/iotc-webhook-bridge.jar
if [[ ! -f $jar || ! -f target/test-classes/dev/iotcbridge/bench/BenchMain.class ]]; then
  echo "build first: mvn -q package -DskipTests" >&2
  exit 2
fi
# The bridge's class-data archive (AppCDS; docs/performance.md, start-up): made from one start-up of this jar, again
# whenever the jar is newer. BenchOptions passes it to the bridge with -XX:SharedArchiveFile when it exists.
if [[ ! -f target/bridge.jsa || target/bridge.jsa -ot $jar ]]; then
  rm -f target/bridge.jsa
  echo "making target/bridge.jsa (class-data archive of one bridge start-up)" >&2
  java -XX:+UseSerialGC -cp "$jar:target/test-classes" dev.iotcbridge.bench.BenchMain startup --repeats 1 \
    --jvm "-XX:+UseSerialGC -Xms32m -Xmx96m -Xss256k -XX:ReservedCodeCacheSize=48m -XX:MaxMetaspaceSize=96m -XX:ArchiveClassesAtExit=$PWD/target/bridge.jsa" \
    > target/bridge-jsa.log 2>&1 || echo "no class-data archive (see target/bridge-jsa.log); the bridge starts without it" >&2
  for _ in $(seq 1 50); do [[ -f target/bridge.jsa ]] && break; sleep 0.1; done
fi
# The load generator is one NIO thread; a small serial heap keeps its own CPU low on the shared cores.
exec java -XX:+UseSerialGC -Xms256m -Xmx768m \
  -cp "$jar:target/test-classes" dev.iotcbridge.bench.BenchMain "$@"
