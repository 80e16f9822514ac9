package dev.iotcbridge.queue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A local stand-in for the App Service managed-identity endpoint that a Function App's code reaches through
 * {@code IDENTITY_ENDPOINT} and {@code IDENTITY_HEADER} (docs/azure-protocol.md §6): {@code GET <endpoint>?resource=
 * ...&api-version=2019-08-01[&client_id=...]} with the header {@code X-IDENTITY-HEADER}, answered with
 * {@code {"access_token", "expires_on", "resource", "token_type", "client_id"}}. It issues a JWT with the claims
 * Azurite's OAuth mode checks (issuer, audience, not-before, expiry); the signature is a placeholder, which Azurite
 * does not verify. Every request is recorded, so a test can tell which identity was asked for which resource.
 */
final class ManagedIdentityEndpoint implements AutoCloseable {

    /** One token request as the endpoint received it. */
    record TokenRequest(String method, String path, Map<String, String> query, String identityHeader) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    private final HttpServer server;
    private final String secret;
    private final String audience;
    private final Clock clock;
    private final List<TokenRequest> requests = new CopyOnWriteArrayList<>();

    /**
     * @param audience the {@code aud} of the tokens it issues: {@code https://storage.azure.com} is what Storage
     *                 accepts; anything else makes a token Storage refuses
     */
    ManagedIdentityEndpoint(String audience, Clock clock) throws IOException {
        this.secret = UUID.randomUUID().toString();
        this.audience = audience;
        this.clock = clock;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/msi/token", this::answer);
        server.start();
    }

    /** What the platform puts in {@code IDENTITY_ENDPOINT}. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/msi/token";
    }

    /** What the platform puts in {@code IDENTITY_HEADER}. */
    String header() {
        return secret;
    }

    List<TokenRequest> requests() {
        return List.copyOf(requests);
    }

    private void answer(HttpExchange exchange) throws IOException {
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        String header = exchange.getRequestHeaders().getFirst("X-IDENTITY-HEADER");
        requests.add(new TokenRequest(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), query, header));
        if (!secret.equals(header)) {
            send(exchange, 401, "{\"statusCode\":401,\"message\":\"X-IDENTITY-HEADER is missing or wrong\"}");
            return;
        }
        String resource = query.get("resource");
        if (!"GET".equals(exchange.getRequestMethod()) || resource == null || !"2019-08-01".equals(query.get("api-version"))) {
            send(exchange, 400, "{\"statusCode\":400,\"message\":\"GET with resource and api-version=2019-08-01\"}");
            return;
        }
        long now = clock.instant().getEpochSecond();
        String clientId = query.getOrDefault("client_id", "00000000-0000-0000-0000-000000000000");
        ObjectNode body = JSON.createObjectNode()
                .put("access_token", jwt(clientId, now))
                .put("expires_on", Long.toString(now + 3_600))
                .put("resource", resource)
                .put("token_type", "Bearer")
                .put("client_id", clientId);
        send(exchange, 200, body.toString());
    }

    private String jwt(String clientId, long now) {
        ObjectNode claims = JSON.createObjectNode()
                .put("aud", audience)
                .put("iss", "https://sts.windows.net/" + TENANT + "/")
                .put("iat", now - 60)
                .put("nbf", now - 60)
                .put("exp", now + 3_600)
                .put("appid", clientId)
                .put("oid", UUID.nameUUIDFromBytes(clientId.getBytes(StandardCharsets.UTF_8)).toString())
                .put("tid", TENANT)
                .put("ver", "1.0");
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"typ\":\"JWT\",\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString("not-a-signature".getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            out.put(name, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
