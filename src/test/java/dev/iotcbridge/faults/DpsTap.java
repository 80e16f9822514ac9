package dev.iotcbridge.faults;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pass-through in front of the simulator's DPS that counts every request by device and kind. The simulator counts
 * register calls only, but a device DPS refuses is asked with a status lookup as well (a cold cache looks up first):
 * "how often was DPS asked about this device" needs every request, counted where DPS would see them, outside the
 * bridge.
 */
final class DpsTap implements AutoCloseable {

    enum Kind { LOOKUP, REGISTER, POLL, OTHER }

    /** Headers the JDK client sets itself and refuses to be given. */
    private static final Set<String> HOP_BY_HOP = Set.of("host", "content-length", "connection", "expect", "upgrade",
            "transfer-encoding", "keep-alive");

    private final HttpServer server;
    private final ExecutorService work = Executors.newFixedThreadPool(8);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final URI target;
    private final Map<String, Map<Kind, AtomicInteger>> counts = new ConcurrentHashMap<>();

    private DpsTap(HttpServer server, URI target) {
        this.server = server;
        this.target = target;
    }

    /** Listens on a free loopback port and forwards to {@code dpsHost} ({@code 127.0.0.1:port}, plain HTTP). */
    static DpsTap start(String dpsHost) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        DpsTap tap = new DpsTap(server, URI.create("http://" + dpsHost));
        server.createContext("/", tap::forward);
        server.setExecutor(tap.work);
        server.start();
        return tap;
    }

    /** What the bridge is to use as IOTC_DPS_HOST. */
    String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** Requests of this kind about the device so far. */
    int count(String deviceId, Kind kind) {
        Map<Kind, AtomicInteger> byKind = counts.get(deviceId.toLowerCase(Locale.ROOT));
        AtomicInteger n = byKind == null ? null : byKind.get(kind);
        return n == null ? 0 : n.get();
    }

    /** Status lookups and register calls about the device: what DPS counts as its operations (polls are not). */
    int asks(String deviceId) {
        return count(deviceId, Kind.LOOKUP) + count(deviceId, Kind.REGISTER);
    }

    private void forward(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            String[] s = path.substring(1).split("/");
            if (s.length >= 3 && s[1].equals("registrations")) {
                Kind kind = s.length == 3 && method.equals("POST") ? Kind.LOOKUP
                        : s.length == 4 && s[3].equals("register") ? Kind.REGISTER
                        : s.length == 5 && s[3].equals("operations") ? Kind.POLL : Kind.OTHER;
                counts.computeIfAbsent(s[2].toLowerCase(Locale.ROOT), k -> new ConcurrentHashMap<>())
                        .computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
            }
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            HttpRequest.Builder out = HttpRequest.newBuilder(target.resolve(exchange.getRequestURI().toString()))
                    .timeout(Duration.ofSeconds(10))
                    .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            exchange.getRequestHeaders().forEach((name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                    values.forEach(v -> out.header(name, v));
                }
            });
            HttpResponse<byte[]> answer;
            try {
                answer = http.send(out.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                exchange.sendResponseHeaders(502, -1); // DPS unreachable: the bridge sees a 5xx, retries like for DPS's own
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exchange.sendResponseHeaders(503, -1);
                return;
            }
            answer.headers().map().forEach((name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                    exchange.getResponseHeaders().put(name, List.copyOf(values));
                }
            });
            byte[] reply = answer.body();
            exchange.sendResponseHeaders(answer.statusCode(), reply.length == 0 ? -1 : reply.length);
            if (reply.length > 0) {
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(reply);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        work.shutdownNow();
    }
}
