#!/usr/bin/env bash
# The load benchmark of issue 5 (docs/performance.md). Build first: mvn -q package -DskipTests
#   scripts/bench.sh throughput --devices 1000 --concurrency 32 --seconds 20 --hub-latency-ms 0
#   scripts/bench.sh cold | startup | heap | failures | all
# It starts the simulator and the bridge as separate processes on loopback and prints what it measured.
# It never fails on speed; it exits non-zero only when it cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=target/iotc-webhook-bridge.jar
if [[ ! -f $jar || ! -f target/test-classes/dev/iotcbridge/bench/BenchMain.class ]]; then
  echo "build first: mvn -q package -DskipTests" >&2
  exit 2
fi
# The load generator is one NIO thread; a small serial heap keeps its own CPU low on the shared cores.
exec java -XX:+UseSerialGC -Xms256m -Xmx768m \
  -cp "$jar:target/test-classes" dev.iotcbridge.bench.BenchMain "$@"
