package dev.iotcbridge.iot;

import com.sun.net.httpserver.HttpServer;
import dev.iotcbridge.config.Settings;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;

/**
 * Rough client-side cost of one forwarded message on the hot path (cached link, cached token): CPU time and bytes
 * allocated by the sending thread only, against a local JDK HTTP server answering 204 (its cost is on other threads).
 *
 * <pre>
 * java -cp target/test-classes:target/classes:$(cat target/cp.txt) dev.iotcbridge.iot.HotPathBench [messages]
 * </pre>
 */
public final class HotPathBench {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        HttpServer hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        hub.createContext("/", x -> {
            x.getRequestBody().readAllBytes();
            x.sendResponseHeaders(204, -1);
            x.close();
        });
        hub.setExecutor(Executors.newFixedThreadPool(2));
        hub.start();
        Map<String, String> env = new HashMap<>();
        env.put("IOTC_ID_SCOPE", "0ne00000001");
        env.put("IOTC_GROUP_KEY", SasTokenTest.GROUP_KEY);
        env.put("BRIDGE_ALLOW_HTTP", "true");
        env.put("IOTC_DPS_HOST", "127.0.0.1:" + hub.getAddress().getPort()); // plain HTTP is allowed towards loopback only
        IotOptions options = IotOptions.from(Settings.from(env));
        try (IotHubSender sender = IotHubSender.builder(options).build()) {
            String id = "a84041000181c150";
            HubEndpoint endpoint = new HubEndpoint("127.0.0.1:" + hub.getAddress().getPort(), "http", options.hubApiVersion());
            sender.links().put(id, new DeviceLink(endpoint, id, options.primaryKey().deviceKey(id)));
            DeviceMessage m = new DeviceMessage(id, Optional.empty(),
                    "{\"temperature\":21.5,\"humidity\":40}".getBytes(StandardCharsets.UTF_8),
                    Optional.of("2026-11-27T10:00:00.123Z"), Optional.empty(), Optional.of("ttn-" + id + "-4711"),
                    Map.of("source", "ttn"));
            for (int i = 0; i < 20_000; i++) { // warm-up: JIT, connection pool
                sender.send(m, Duration.ofSeconds(4));
            }
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long tid = Thread.currentThread().getId();
            long cpu0 = threads.getCurrentThreadCpuTime();
            long alloc0 = threads.getThreadAllocatedBytes(tid);
            long wall0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sender.send(m, Duration.ofSeconds(4));
            }
            long cpu = threads.getCurrentThreadCpuTime() - cpu0;
            long alloc = threads.getThreadAllocatedBytes(tid) - alloc0;
            long wall = System.nanoTime() - wall0;
            System.out.printf("%d messages: %.1f us CPU/message (sending thread), %.0f bytes allocated/message, %.1f us wall/message%n",
                    n, cpu / 1e3 / n, alloc / (double) n, wall / 1e3 / n);
        } finally {
            hub.stop(0);
            System.exit(0);
        }
    }
}
