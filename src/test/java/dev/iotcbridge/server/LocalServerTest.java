package dev.iotcbridge.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookResponse;
import dev.iotcbridge.config.Secret;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.net.EventLoops;
import dev.iotcbridge.testing.FakeTransforms;
import dev.iotcbridge.testing.RecordingSender;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The local server over real HTTP: URL shape, function key, limits; the handler itself is tested elsewhere. */
class LocalServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final RecordingSender hub = new RecordingSender();
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final EventLoops loops = EventLoops.create(2);
    private final HttpClient client = HttpClient.newHttpClient();
    private LocalServer server;

    @BeforeEach
    void start() throws Exception {
        WebhookHandler handler = new WebhookHandler(Settings.from(Map.of("BRIDGE_MAX_BODY_BYTES", "1000")), new FakeTransforms()
                .route("ttn", (body, vars) -> List.of(JSON.valueToTree(Map.of(
                        "deviceId", vars.path().isEmpty() ? body.path("id").asText() : vars.path(),
                        "telemetry", Map.of("event", vars.query().getOrDefault("event", ""), "seenKey", vars.query().containsKey("code")))))),
                hub, executor);
        server = LocalServer.start("127.0.0.1", 0, handler, Optional.of(Secret.of("s3cret-key")), 1000,
                Optional.of((method, path, query) -> WebhookResponse.error(200, method + " " + path + " " + query)), loops, executor);
    }

    @AfterEach
    void stop() {
        server.close();
        loops.close();
        executor.shutdownNow();
    }

    private HttpResponse<String> post(String pathAndQuery, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + pathAndQuery))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheFunctionsHostUrlShapeWithTheKeyAsQueryOrHeader() throws Exception {
        HttpResponse<String> viaQuery = post("/api/ttn/70b3d57ed0000001?code=s3cret-key&event=up", "{}", "Content-Type", "application/json");
        assertEquals(200, viaQuery.statusCode(), viaQuery.body());
        assertEquals("70b3d57ed0000001", hub.delivered.get(0).deviceId());
        JsonNode telemetry = JSON.readTree(hub.delivered.get(0).body());
        assertEquals("up", telemetry.get("event").asText());
        assertEquals(false, telemetry.get("seenKey").asBoolean(), "the function key never reaches a transform");

        HttpResponse<String> viaHeader = post("/api/ttn", "{\"id\": \"dev-2\"}", "Content-Type", "application/json", "x-functions-key", "s3cret-key");
        assertEquals(200, viaHeader.statusCode());
        assertEquals("dev-2", hub.delivered.get(1).deviceId());
    }

    @Test
    void aMissingOrWrongKeyIs401AndNamesWhereTheKeyGoes() throws Exception {
        HttpResponse<String> none = post("/api/ttn", "{}", "Content-Type", "application/json");
        assertEquals(401, none.statusCode());
        assertTrue(none.body().contains("?code="));
        assertEquals(401, post("/api/ttn?code=s3cret-kez", "{}", "Content-Type", "application/json").statusCode());
        assertTrue(hub.delivered.isEmpty());
    }

    @Test
    void healthAnswersWithoutAKey() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("{\"status\":\"ok\"}", r.body());
    }

    @Test
    void onlyPostIsAllowedOnRoutes() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/ttn?code=s3cret-key")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, r.statusCode());
        assertEquals("POST", r.headers().firstValue("Allow").orElseThrow());
    }

    @Test
    void anAnnouncedOversizedBodyIsRefusedBeforeItIsRead() throws Exception {
        HttpResponse<String> r = post("/api/ttn?code=s3cret-key", "x".repeat(5000), "Content-Type", "application/json");
        assertEquals(413, r.statusCode());
        assertTrue(r.body().contains("1000 bytes"));
    }

    @Test
    void aChunkedBodyWithoutLengthIsCutAtTheLimit() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            OutputStream out = socket.getOutputStream();
            String chunk = "x".repeat(800);
            String request = "POST /api/ttn?code=s3cret-key HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + Integer.toHexString(800) + "\r\n" + chunk + "\r\n" + Integer.toHexString(800) + "\r\n" + chunk + "\r\n0\r\n\r\n";
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 413"), response);
        }
    }

    @Test
    void simulatorControlsAreMountedUnderSim() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/sim/devices?x=1")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("{\"error\":\"GET devices {x=1}\"}", r.body());
    }
}
