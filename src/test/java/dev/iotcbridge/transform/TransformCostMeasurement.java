package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.ManagementFactory;
import java.util.Map;

/**
 * A quick, JMH-free measurement of what one transform call costs (CPU time per call of this thread), for the
 * performance target of the forwarding path. Run: java -cp target/test-classes:target/classes:... this class.
 */
public final class TransformCostMeasurement {

    private TransformCostMeasurement() {
    }

    public static void main(String[] args) {
        JsonNode reference = Jq.json("{\"device\":{\"deviceId\":\"a84041000181c150\"},\"measurements\":{\"temperature\":21.5,"
                + "\"humidity\":40},\"timestamp\":\"2026-11-27T10:00:00Z\"}");
        JsonNode sigfox = Jq.json("{\"device\":\"1FD48BE\",\"time\":1700000000,\"data\":\"38ff8f0102\",\"seqNumber\":42}");
        TransformVariables vars = new TransformVariables(Map.of("event", "up"), Map.of("content-type", "application/json"),
                "test", "");
        measure("reference format", Jq.transform("{deviceId: .device.deviceId, telemetry: .measurements}",
                TransformLimits.defaults()), reference, vars);
        measure("reference + timestamp", Jq.transform("{deviceId: .device.deviceId, telemetry: .measurements,"
                + " timestamp: (.timestamp | utc_iso)}", TransformLimits.defaults()), reference, vars);
        measure("sigfox decode", Jq.transform("{deviceId: (.device | ascii_downcase), timestamp: (.time | utc_seconds),"
                + " telemetry: (.data | sigfox_decode(\"temp::int:16:little-endian hum::uint:8 door::bool:7\")),"
                + " messageId: \"sigfox-\\(.device)-\\(.seqNumber)\"}", TransformLimits.defaults()), sigfox, vars);
    }

    private static void measure(String name, JqRouteTransform t, JsonNode input, TransformVariables vars) {
        var threads = ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 200_000; i++) {
            t.apply(input, vars, 100);
        }
        int n = 500_000;
        long cpu0 = threads.getCurrentThreadCpuTime();
        long wall0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            t.apply(input, vars, 100);
        }
        long cpu = threads.getCurrentThreadCpuTime() - cpu0;
        long wall = System.nanoTime() - wall0;
        System.out.printf("%-24s %6.2f us CPU/call  %6.2f us wall/call  -> %s%n", name, cpu / 1000.0 / n,
                wall / 1000.0 / n, t.apply(input, vars, 100));
    }
}
