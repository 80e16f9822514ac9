package dev.iotcbridge.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.TryLaterException;
import dev.iotcbridge.net.EventLoops;
import dev.iotcbridge.testing.FakeTransforms;
import dev.iotcbridge.testing.HeldSender;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The local server's connections as a client sees them: keep-alive, pipelining, 100-continue, limits, malformed
 * requests, HTTP/1.0, and no cap on how many calls wait for the hub at once. The hub is a {@link HeldSender}: its
 * answers come when the test gives them, from the test's thread.
 */
class LocalServerConnectionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HeldSender hub = new HeldSender(id -> id.startsWith("now-"));
    private final ExecutorService blocking = Executors.newCachedThreadPool();
    private final EventLoops loops = EventLoops.create(2);
    private LocalServer server;

    @BeforeEach
    void start() throws Exception {
        WebhookHandler handler = new WebhookHandler(Settings.from(Map.of("BRIDGE_MAX_BODY_BYTES", "1000")), new FakeTransforms()
                .route("echo", (body, vars) -> List.of(JSON.valueToTree(Map.of("deviceId", body.path("id").asText(), "telemetry", Map.of("n", 1)))))
                .route("quiet", 204, (body, vars) -> List.of(JSON.valueToTree(Map.of("deviceId", body.path("id").asText(), "telemetry", Map.of())))),
                hub, blocking);
        server = LocalServer.start("127.0.0.1", 0, handler, Optional.empty(), 1000, Optional.empty(), loops, blocking);
    }

    @AfterEach
    void stop() {
        server.close();
        loops.close();
        blocking.shutdownNow();
    }

    private Wire connect() throws Exception {
        return new Wire(server.port());
    }

    private static String echo(String deviceId, String... headers) {
        return Wire.post("/api/echo", "{\"id\": \"" + deviceId + "\"}", headers);
    }

    private static String deviceOf(Wire.Answer a) throws Exception {
        JsonNode body = JSON.readTree(a.body());
        return body.at("/results/0/deviceId").asText();
    }

    @Test
    void pipelinedRequestsAreAnsweredInTheirOrderEvenWhenTheFirstIsTheSlowest() throws Exception {
        try (Wire wire = connect()) {
            wire.send(echo("slow") + echo("now-second") + echo("now-third"));
            HeldSender.Held slow = hub.next();
            assertEquals("slow", slow.deviceId());
            assertEquals(List.of("slow"), hub.seen(), "the requests behind it wait for its answer");

            slow.answer().complete(null);
            List<String> answered = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Wire.Answer a = wire.read();
                assertEquals(200, a.status(), a.body());
                answered.add(deviceOf(a));
            }
            assertEquals(List.of("slow", "now-second", "now-third"), answered);
            assertEquals(List.of("slow", "now-second", "now-third"), hub.seen());
        }
    }

    @Test
    void threeHundredCallsWaitForTheHubAtOnceAndEachIsAnsweredWhenItsHubAnswerComesFromAnotherThread() throws Exception {
        int n = 300;
        List<Wire> wires = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                wires.add(connect().send(echo("held-" + i)));
            }
            // every call reaches the hub before any is answered: nothing caps how many wait at once
            List<HeldSender.Held> held = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                held.add(hub.next());
            }
            Set<String> devices = new HashSet<>(hub.seen());
            assertEquals(n, devices.size());
            for (HeldSender.Held h : held) {
                if (h.deviceId().equals("held-7")) {
                    h.answer().completeExceptionally(new TryLaterException(503, "the hub is busy", Duration.ofSeconds(3)));
                } else {
                    h.answer().complete(null);
                }
            }
            for (int i = 0; i < n; i++) {
                Wire.Answer a = wires.get(i).read();
                if (i == 7) {
                    assertEquals(503, a.status(), a.body());
                    assertEquals("3", a.header("Retry-After"));
                } else {
                    assertEquals(200, a.status(), a.body());
                    assertEquals("held-" + i, deviceOf(a));
                }
            }
        } finally {
            for (Wire w : wires) {
                w.close();
            }
        }
    }

    @Test
    void expect100ContinueGetsA100BeforeTheBodyAndA413InsteadWhenTheAnnouncedBodyIsTooLarge() throws Exception {
        try (Wire wire = connect()) {
            String body = "{\"id\": \"now-continued\"}";
            wire.send("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n");
            assertEquals(100, wire.read().status());
            wire.send(body);
            Wire.Answer sent = wire.read();
            assertEquals(200, sent.status(), sent.body());
            assertEquals("now-continued", deviceOf(sent));

            wire.send("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                    + "Content-Length: 5000\r\n\r\n");
            Wire.Answer refused = wire.read();
            assertEquals(413, refused.status(), "no 100 for a body that would be refused");
            assertTrue(refused.body().contains("1000 bytes"), refused.body());

            // the client did not send that body, and the connection goes on with its next request
            wire.send(echo("now-after"));
            Wire.Answer after = wire.read();
            assertEquals(200, after.status(), after.body());
            assertEquals("now-after", deviceOf(after));
        }
    }

    @Test
    void aChunkedBodyGrowingPastTheLimitIs413AndTheConnectionServesTheNextRequest() throws Exception {
        try (Wire wire = connect()) {
            String chunk = "x".repeat(800);
            StringBuilder request = new StringBuilder("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n");
            for (int i = 0; i < 5; i++) {
                request.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
            }
            wire.send(request.append("0\r\n\r\n").toString());
            Wire.Answer refused = wire.read();
            assertEquals(413, refused.status());
            assertTrue(refused.body().contains("larger than the limit of 1000 bytes"), refused.body());

            wire.send(echo("now-next"));
            Wire.Answer next = wire.read();
            assertEquals(200, next.status(), "the rest of the refused body was read and dropped: " + next.body());
            assertEquals("now-next", deviceOf(next));
        }
    }

    @Test
    void aBodyOfExactlyTheLimitIsTakenWhetherChunkedOrNot() throws Exception {
        String padded = "{\"id\": \"now-full\"" + " ".repeat(1000 - "{\"id\": \"now-full\"}".length()) + "}";
        assertEquals(1000, padded.length());
        try (Wire wire = connect()) {
            wire.send(Wire.post("/api/echo", padded));
            assertEquals(200, wire.read().status());
            wire.send("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "1f4\r\n" + padded.substring(0, 500) + "\r\n1f4\r\n" + padded.substring(500) + "\r\n0\r\n\r\n");
            Wire.Answer chunked = wire.read();
            assertEquals(200, chunked.status(), chunked.body());
        }
    }

    @Test
    void aMalformedRequestIs400NamingTheProblemAndTheConnectionIsClosed() throws Exception {
        try (Wire wire = connect()) {
            wire.send("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 12abc\r\n\r\n{}");
            Wire.Answer a = wire.read();
            assertEquals(400, a.status());
            assertTrue(a.body().contains("malformed request") && a.body().toLowerCase().contains("content-length"), a.body());
            assertEquals("close", a.header("Connection"));
            assertTrue(wire.closedByServer());
        }
        try (Wire wire = connect()) {
            wire.send("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "zz\r\n{}\r\n0\r\n\r\n");
            Wire.Answer a = wire.read();
            assertEquals(400, a.status());
            assertTrue(a.body().contains("malformed request"), a.body());
            assertTrue(wire.closedByServer());
        }
        assertEquals(List.of(), hub.seen());
    }

    @Test
    void http10IsAnsweredAndClosedUnlessItAsksForKeepAlive() throws Exception {
        String body = "{\"id\": \"now-old\"}";
        String http10 = "POST /api/echo HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n";
        try (Wire wire = connect()) {
            wire.send(http10 + "\r\n" + body);
            Wire.Answer a = wire.read();
            assertEquals(200, a.status(), a.body());
            assertEquals("now-old", deviceOf(a));
            assertTrue(wire.closedByServer());
        }
        try (Wire wire = connect()) {
            wire.send(http10 + "Connection: keep-alive\r\n\r\n" + body);
            Wire.Answer first = wire.read();
            assertEquals(200, first.status());
            assertEquals("keep-alive", first.header("Connection"));
            wire.send(http10 + "Connection: keep-alive\r\n\r\n" + body);
            assertEquals(200, wire.read().status());
        }
    }

    @Test
    void connectionCloseIsHonouredAndAHalfClosedClientStillGetsItsAnswer() throws Exception {
        try (Wire wire = connect()) {
            wire.send(echo("now-closing", "Connection: close"));
            Wire.Answer a = wire.read();
            assertEquals(200, a.status());
            assertEquals("close", a.header("Connection"));
            assertTrue(wire.closedByServer());
        }
        try (Wire wire = connect()) {
            wire.send(echo("half-closed"));
            wire.shutdownOutput();
            hub.next().answer().complete(null);
            Wire.Answer a = wire.read();
            assertEquals(200, a.status(), a.body());
            assertEquals("half-closed", deviceOf(a));
            assertTrue(wire.closedByServer());
        }
        try (Wire wire = connect()) {
            wire.send("POST /api/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"id\": \"cut");
            wire.shutdownOutput();
            Wire.Answer a = wire.read();
            assertEquals(400, a.status());
            assertTrue(a.body().contains("the request body ended before the length its Content-Length announced"), a.body());
            assertTrue(wire.closedByServer());
        }
    }

    @Test
    void a204HasNoBodyAndNoLengthAndTheConnectionGoesOn() throws Exception {
        try (Wire wire = connect()) {
            wire.send(Wire.post("/api/quiet", "{\"id\": \"now-quiet\"}"));
            Wire.Answer a = wire.read();
            assertEquals(204, a.status());
            assertNull(a.header("Content-Length"));
            assertEquals("", a.body());
            wire.send(echo("now-then"));
            Wire.Answer then = wire.read();
            assertEquals(200, then.status(), "the 204 carried no body the client would misread: " + then.body());
            assertEquals("now-then", deviceOf(then));
        }
    }

    @Test
    void anUnwantedBodyIsReadAndDroppedSoTheClientGetsItsAnswerAndTheConnectionGoesOn() throws Exception {
        try (Wire wire = connect()) {
            wire.send(Wire.post("/nowhere", "x".repeat(200_000)));
            Wire.Answer a = wire.read();
            assertEquals(404, a.status());
            assertFalse("close".equals(a.header("Connection")));
            wire.send(echo("now-found"));
            assertEquals(200, wire.read().status());
        }
    }
}
