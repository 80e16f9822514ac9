package dev.iotcbridge.bench;

import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.iot.TelemetrySender;
import dev.iotcbridge.transform.JqTransformCatalog;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * CPU and allocation per webhook of the handler alone (body parse, iotc transform, validation, response JSON, the
 * per-message log line), with a sender that sends nothing: the part of the bridge's cost that is not HTTP. Measured on
 * one thread with the thread's own CPU clock, so other processes on the machine disturb it less than the load runs.
 *
 * <pre>java -cp target/iotc-webhook-bridge.jar:target/test-classes dev.iotcbridge.bench.StageCost [calls] [log|nolog] [plain|downlinks]</pre>
 *
 * {@code downlinks} builds the handler as production does, with the downlink step (docs/commands.md): the iotc route
 * offers none, so the figure shows what commands cost an uplink that offers no downlink.
 */
public final class StageCost {

    /** JUL keeps loggers weakly: held here, or its level may be collected with it and the lines come back mid-run. */
    private static final Logger QUIET = Logger.getLogger(WebhookHandler.class.getName());

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        boolean log = args.length <= 1 || args[1].equals("log");
        boolean downlinks = args.length > 2 && args[2].equals("downlinks");
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
        }
        if (!log) {
            QUIET.setLevel(Level.WARNING);
        }
        Map<String, String> env = new HashMap<>();
        Settings settings = Settings.from(env);
        Path transforms = BenchWorkspace.prepare(BenchOptions.parse(new String[] {"throughput"}), Path.of("transforms"));
        TelemetrySender nothing = (message, budget) -> { };
        java.util.Optional<dev.iotcbridge.downlink.DownlinkStep> step = java.util.Optional.empty();
        if (downlinks) {
            Settings linked = Settings.from(Map.of("IOTC_ID_SCOPE", "0ne00000001", "IOTC_GROUP_KEY",
                    java.util.Base64.getEncoder().encodeToString(new byte[32])));
            dev.iotcbridge.net.EventLoops loops = dev.iotcbridge.net.EventLoops.create();
            step = java.util.Optional.of(dev.iotcbridge.bridge.BridgeRuntime.downlinks(linked,
                    dev.iotcbridge.iot.IotHubSender.create(linked, loops), loops));
        }
        WebhookHandler handler = new WebhookHandler(settings, JqTransformCatalog.load(transforms, settings), nothing,
                Executors.newCachedThreadPool(), java.util.Optional.empty(), step);
        IotcRequests bodies = new IotcRequests(7071, "bench-dev-", 0, 1000, "m-");
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        for (int round = 0; round < 3; round++) {
            long cpu0 = threads.getCurrentThreadCpuTime();
            long alloc0 = threads.getThreadAllocatedBytes(tid);
            for (int i = 0; i < n; i++) {
                byte[] req = bodies.request(i);
                int split = indexOfBody(req);
                byte[] body = java.util.Arrays.copyOfRange(req, split, req.length);
                handler.handle(new WebhookRequest("iotc", "", Map.of("messageId", "m-" + i),
                        Map.of("content-type", "application/json"), body));
            }
            long cpu = threads.getCurrentThreadCpuTime() - cpu0;
            long alloc = threads.getThreadAllocatedBytes(tid) - alloc0;
            System.err.printf("round %d: %d calls, %.1f µs CPU and %.0f bytes allocated per call (handler%s%s)%n", round + 1,
                    n, cpu / 1e3 / n, alloc / (double) n, log ? " + log line to stderr" : ", no log line",
                    downlinks ? ", with the downlink step" : "");
        }
        System.exit(0);
    }

    private static int indexOfBody(byte[] req) {
        String s = new String(req, StandardCharsets.ISO_8859_1);
        return s.indexOf("\r\n\r\n") + 4;
    }
}
