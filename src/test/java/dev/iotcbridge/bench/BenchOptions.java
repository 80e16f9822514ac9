package dev.iotcbridge.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The benchmark's command line. Defaults are the figures of issue 5: 1,000 devices, C = 32, 20 s, hub answering at
 * once, the bridge with the JVM flags the README documents.
 */
record BenchOptions(String mode, int devices, int concurrency, double seconds, double warmupSeconds, int hubLatencyMs,
                    long count, int repeats, List<String> bridgeJvmFlags, Path jar, Path workDir, int keepMessageIds,
                    boolean quietBridgeLog, String floor, List<Integer> deviceCounts, int dpsRetryAfterSeconds,
                    int outageSeconds, String outageAnswer, int sendIntervalSeconds) {

    /** Real DPS answers a register call with {@code Retry-After: 3} (docs/azure-protocol.md §2.1). */
    static final int REAL_DPS_RETRY_AFTER = 3;

    /** The device counts of issue 12's cold-path figures. */
    static final List<Integer> COLD_DEVICE_COUNTS = List.of(20, 50, 200, 1000);

    /**
     * The class-data archive scripts/bench.sh makes from one start-up of the current jar (AppCDS: the JVM maps the
     * classes it loaded, already parsed and verified, instead of reading them from the jar). A stale archive is
     * refused by the JVM with a warning and the bridge starts without it, so it is never wrong to pass.
     */
    static final Path CLASS_ARCHIVE = Path.of("target/bridge.jsa").toAbsolutePath();

    /**
     * The JVM flags of the documented run command (docs/performance.md says why each): a small heap and the serial
     * collector keep RSS and GC threads down on a 2-core machine; the bridge's few threads need no large stacks.
     */
    static final List<String> DEFAULT_BRIDGE_FLAGS = withClassArchive(List.of("-XX:+UseSerialGC", "-Xms32m", "-Xmx96m",
            "-Xss256k", "-XX:ReservedCodeCacheSize=48m", "-XX:MaxMetaspaceSize=96m"));


    private static List<String> withClassArchive(List<String> flags) {
        if (!Files.isRegularFile(CLASS_ARCHIVE)) {
            return flags;
        }
        List<String> all = new ArrayList<>(flags);
        all.add("-XX:SharedArchiveFile=" + CLASS_ARCHIVE);
        return List.copyOf(all);
    }

    static final String USAGE = """
            usage: scripts/bench.sh MODE [options]
              MODE: throughput | cold | outage | startup | heap | failures | all | floor (an HTTP layer alone, see --floor)
              --devices D          provisioned devices the load cycles through (default 1000); cold takes a list,
                                   e.g. 20,50,200,1000 (its default): one burst of first messages per count
              --dps-retry-after S  the simulated DPS's register Retry-After in seconds (cold and outage: default 3, as
                                   real DPS; the other modes: 0, to measure the bridge rather than DPS's pace)
              --outage-seconds O   outage: how long the hub is down for every device while DPS assigns it (default 120)
              --outage-answer A    outage: refuse (connections refused, the default) or 503 (every send answered 503)
              --send-interval S    outage: each device sends a message about every S seconds (default 10)
              --concurrency C      keep-alive connections (default 32)
              --seconds T          measured seconds (default 20)
              --warmup W           seconds of load before measuring (default 30: the JIT settles after ~35 s)
              --hub-latency-ms L   the simulated hubs answer after L ms (default 0)
              --count N            failures: webhooks answered 429 by the hub (default 200000)
              --repeats R          startup: process starts measured (default 5)
              --jvm "FLAGS"        the bridge's JVM flags (default: %s)
              --quiet-bridge-log   the bridge logs per-message lines at FINE (off), for comparison
              --jar PATH           default target/iotc-webhook-bridge.jar
              --floor KIND         floor: jdk (JDK HttpServer, pooled), jdk-direct (no hand-off), jetty, or a proxy to a
                                   fixed upstream: proxy-jdk-okhttp-1 (the bridge's shape before round 3), proxy-nio-N,
                                   proxy-epoll-N (Netty server and client on N shared loops: round 3's shape)
            """.formatted(String.join(" ", DEFAULT_BRIDGE_FLAGS));

    static BenchOptions parse(String[] args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("give a mode");
        }
        String mode = args[0];
        if (!List.of("throughput", "cold", "outage", "startup", "heap", "failures", "floor", "all").contains(mode)) {
            throw new IllegalArgumentException("unknown mode " + mode);
        }
        List<Integer> deviceCounts = mode.equals("cold") ? COLD_DEVICE_COUNTS : List.of(1000);
        int dpsRetryAfter = mode.equals("cold") || mode.equals("outage") ? REAL_DPS_RETRY_AFTER : 0;
        int outageSeconds = 120;
        String outageAnswer = "refuse";
        int sendInterval = 10;
        int concurrency = 32;
        double seconds = 20;
        double warmup = 30;
        String floor = "jdk";
        int latency = 0;
        long count = 200_000;
        int repeats = 5;
        List<String> flags = DEFAULT_BRIDGE_FLAGS;
        Path jar = Path.of("target/iotc-webhook-bridge.jar");
        boolean quiet = false;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--quiet-bridge-log")) {
                quiet = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--devices" -> deviceCounts = counts(v, a);
                case "--dps-retry-after" -> dpsRetryAfter = bounded(v, a, 0, 60);
                case "--outage-seconds" -> outageSeconds = bounded(v, a, 1, 3600);
                case "--outage-answer" -> outageAnswer = oneOf(v, a, List.of("refuse", "503"));
                case "--send-interval" -> sendInterval = bounded(v, a, 1, 600);
                case "--concurrency" -> concurrency = bounded(v, a, 1, 4096);
                case "--seconds" -> seconds = bounded(v, a, 1, 3600);
                case "--warmup" -> warmup = bounded(v, a, 0, 600);
                case "--hub-latency-ms" -> latency = bounded(v, a, 0, 60_000);
                case "--count" -> count = bounded(v, a, 1, 10_000_000);
                case "--repeats" -> repeats = bounded(v, a, 1, 100);
                case "--jvm" -> flags = new ArrayList<>(Arrays.asList(v.trim().split("\\s+")));
                case "--jar" -> jar = Path.of(v);
                case "--floor" -> floor = v;
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (deviceCounts.size() > 1 && !mode.equals("cold")) {
            throw new IllegalArgumentException("only cold takes a list of device counts");
        }
        // the simulator counts every message id of a run for the exact delivery check
        int keepIds = (int) Math.min(4_000_000, Math.max(100_000, (long) ((seconds + warmup) * 40_000)));
        return new BenchOptions(mode, deviceCounts.get(0), concurrency, seconds, warmup, latency, count, repeats,
                List.copyOf(flags), jar, Path.of("target/bench"), keepIds, quiet, floor, deviceCounts, dpsRetryAfter,
                outageSeconds, outageAnswer, sendInterval);
    }

    /** A copy with other bridge JVM flags. */
    BenchOptions withBridgeJvmFlags(List<String> flags) {
        return new BenchOptions(mode, devices, concurrency, seconds, warmupSeconds, hubLatencyMs, count, repeats,
                List.copyOf(flags), jar, workDir, keepMessageIds, quietBridgeLog, floor, deviceCounts,
                dpsRetryAfterSeconds, outageSeconds, outageAnswer, sendIntervalSeconds);
    }

    /** {@code 20,50,200,1000}: whole numbers in 1..1,000,000, at least one. */
    private static List<Integer> counts(String v, String name) {
        List<Integer> list = new ArrayList<>();
        for (String part : v.split(",", -1)) {
            list.add(bounded(part.trim(), name, 1, 1_000_000));
        }
        return List.copyOf(list);
    }

    private static String oneOf(String v, String name, List<String> allowed) {
        if (!allowed.contains(v)) {
            throw new IllegalArgumentException(name + " is one of " + String.join(", ", allowed));
        }
        return v;
    }

    private static int bounded(String v, String name, int min, int max) {
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " takes a whole number in " + min + ".." + max);
        }
    }
}
