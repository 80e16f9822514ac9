package dev.iotcbridge.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.bridge.WebhookResponse;
import dev.iotcbridge.config.Secret;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The bridge as a plain HTTP server, at the Functions host's URL shape ({@code /api/{route}[/path]}), so a
 * sender configured against it works unchanged against Azure. A thin adapter: everything else is the
 * handler's.
 */
public final class LocalServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LocalServer.class.getName());

    static {
        // The JDK server writes the status line and headers, then the body, in separate writes; with Nagle on, the
        // body waits for the client's delayed ACK: ~40 ms added to every answer on a keep-alive connection. The
        // property is read once, when the server classes load, so it is set before the first server is created.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }
    /** Most of an unwanted request body read (and dropped) so that the client gets its answer. */
    private static final long DRAIN_LIMIT = 16L * 1024 * 1024;
    private static final byte[] HEALTHY = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;
    private final WebhookHandler handler;
    private final Optional<Secret> functionKey;
    private final int maxBodyBytes;
    private final Optional<AdminRoute> admin;

    /** Something else the server mounts under {@code /sim/} (the embedded simulator's control API). */
    public interface AdminRoute {
        WebhookResponse handle(String method, String pathAfterSim, Map<String, String> query);
    }

    private LocalServer(HttpServer server, WebhookHandler handler, Optional<Secret> functionKey, int maxBodyBytes,
                        Optional<AdminRoute> admin) {
        this.server = server;
        this.handler = handler;
        this.functionKey = functionKey;
        this.maxBodyBytes = maxBodyBytes;
        this.admin = admin;
    }

    /**
     * @param executor runs each request; it must not cap concurrency (every request blocks on the hub), so a cached pool
     */
    public static LocalServer start(String bindAddress, int port, WebhookHandler handler, Optional<Secret> functionKey,
                                    int maxBodyBytes, Optional<AdminRoute> admin, ExecutorService executor) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(bindAddress, port), 1024);
        LocalServer s = new LocalServer(http, handler, functionKey, maxBodyBytes, admin);
        http.createContext("/", s::exchange);
        http.setExecutor(executor);
        http.start();
        return s;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The address the server is bound to: loopback unless BRIDGE_BIND_ADDRESS says otherwise. */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void exchange(HttpExchange exchange) {
        try (exchange) {
            WebhookResponse response = respond(exchange);
            drain(exchange.getRequestBody());
            send(exchange, response);
        } catch (IOException e) {
            LOG.log(Level.FINE, "client went away", e);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "unexpected failure serving " + exchange.getRequestURI().getRawPath(), e);
            try {
                send(exchange, error(500, "internal error"));
            } catch (IOException ignored) {
                // the client is gone; nothing left to tell it
            }
        }
    }

    private WebhookResponse respond(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String rawPath = exchange.getRequestURI().getRawPath();
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        if (rawPath.equals("/api/health")) {
            return new WebhookResponse(200, Map.of("Content-Type", "application/json"), HEALTHY);
        }
        if (rawPath.startsWith("/sim/") && admin.isPresent()) {
            return admin.get().handle(method, rawPath.substring("/sim/".length()), query);
        }
        if (!rawPath.startsWith("/api/") || rawPath.length() == "/api/".length()) {
            return error(404, "not found: webhooks are posted to /api/{route}");
        }
        Map<String, String> headers = headers(exchange);
        if (functionKey.isPresent() && !functionKey.get().matches(query.getOrDefault("code", headers.get("x-functions-key")))) {
            return error(401, "missing or wrong function key: pass it as ?code=<key> or in the x-functions-key header");
        }
        if (!method.equals("POST")) {
            WebhookResponse notAllowed = error(405, "webhooks are POSTed; " + method + " is not allowed");
            return new WebhookResponse(405, Map.of("Allow", "POST", "Content-Type", "application/json; charset=utf-8"), notAllowed.body());
        }
        String rest = rawPath.substring("/api/".length());
        int slash = rest.indexOf('/');
        String route = decode(slash < 0 ? rest : rest.substring(0, slash));
        String path = slash < 0 ? "" : decode(rest.substring(slash + 1));
        String length = headers.get("content-length");
        if (length != null && length.chars().allMatch(Character::isDigit) && length.length() < 19
                && Long.parseLong(length) > maxBodyBytes) {
            return error(413, "body is larger than the limit of " + maxBodyBytes + " bytes");
        }
        byte[] body;
        try {
            body = readAtMost(exchange.getRequestBody(), maxBodyBytes + 1);
        } catch (IOException e) {
            // the body ended before its Content-Length: the client may still be reading, so tell it
            return error(400, "the request body ended before the length its Content-Length announced");
        }
        return handler.handle(new WebhookRequest(route, path, query, headers, body));
    }

    private static byte[] readAtMost(InputStream in, int limit) throws IOException {
        // reading one byte past the limit is enough for the handler to answer 413; the rest is never buffered
        return in.readNBytes(limit);
    }

    /**
     * Reads and drops what is left of the request body before answering. Most HTTP clients send their whole body
     * before they read the answer; closing a connection with unread data makes the kernel reset it, and the
     * client then sees a dropped connection (and retries) instead of the 413 it needs. Past {@link #DRAIN_LIMIT}
     * the rest is not worth reading: the connection is closed.
     */
    private static void drain(InputStream in) {
        try {
            long left = DRAIN_LIMIT;
            byte[] sink = new byte[16 * 1024];
            for (int n = in.read(sink); n > 0 && left > 0; n = in.read(sink)) {
                left -= n;
            }
        } catch (IOException ignored) {
            // the client is gone or sent less than it announced: the answer is written if it can be
        }
    }

    private static void send(HttpExchange exchange, WebhookResponse response) throws IOException {
        response.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        byte[] body = response.body();
        boolean empty = body.length == 0 || response.status() == 204;
        exchange.sendResponseHeaders(response.status(), empty ? -1 : body.length);
        if (!empty) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static WebhookResponse error(int status, String message) {
        return WebhookResponse.error(status, message);
    }

    private static Map<String, String> headers(HttpExchange exchange) {
        Map<String, String> headers = new HashMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!values.isEmpty()) {
                headers.put(name.toLowerCase(Locale.ROOT), values.get(values.size() - 1));
            }
        });
        return headers;
    }

    static Map<String, String> query(String raw) {
        if (raw == null || raw.isEmpty()) {
            return Map.of();
        }
        Map<String, String> query = new HashMap<>();
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            query.put(decodeQuery(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : decodeQuery(pair.substring(eq + 1)));
        }
        return query;
    }

    private static String decodeQuery(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s; // a malformed escape is kept as sent; the transform decides whether it matters
        }
    }

    private static String decode(String segment) {
        try {
            // a path segment: '+' is a plus, not a space
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return segment;
        }
    }


    @Override
    public void close() {
        server.stop(0);
    }
}
