package dev.iotcbridge.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.error.DeviceRefusedException;
import dev.iotcbridge.error.TryLaterException;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.testing.FakeTransforms;
import dev.iotcbridge.testing.RecordingSender;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

class WebhookHandlerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RecordingSender hub = new RecordingSender();
    /** Echo: the body's "messages" array is the transform's output; lets each test state its messages inline. */
    private final FakeTransforms transforms = new FakeTransforms()
            .route("echo", (body, vars) -> StreamSupport.stream(body.path("messages").spliterator(), false).toList())
            .route("vars", (body, vars) -> List.of(JSON.valueToTree(Map.of(
                    "deviceId", "dev-1",
                    "telemetry", Map.of("query", vars.query(), "headers", vars.headers(), "route", vars.route(), "path", vars.path())))))
            .route("quiet", 204, (body, vars) -> StreamSupport.stream(body.path("messages").spliterator(), false).toList());

    private WebhookHandler handler(Map<String, String> settings) {
        return new WebhookHandler(Settings.from(settings), transforms, hub, Executors.newCachedThreadPool());
    }

    private final WebhookHandler handler = handler(Map.of("BRIDGE_MAX_BODY_BYTES", "2048", "BRIDGE_MAX_MESSAGES_PER_CALL", "3"));

    private static WebhookRequest post(String route, String body) {
        return new WebhookRequest(route, "", Map.of(), Map.of("content-type", "application/json"), body.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode body(WebhookResponse r) throws Exception {
        return JSON.readTree(r.body());
    }

    @Test
    void deliversEveryMessageAndAnswers200WithASummary() throws Exception {
        WebhookResponse r = handler.handle(post("echo", """
                {"messages": [
                  {"deviceId": "dev-1", "telemetry": {"t": 21.5}, "timestamp": "2026-11-27T11:00:00.123456+01:00",
                   "modelId": "dtmi:com:example:Sensor;1", "component": "env", "properties": {"source": "ttn"}, "messageId": "m-1"},
                  {"deviceId": "dev-2", "telemetry": {"nested": {"a": [1, 2]}}}
                ]}"""));

        assertEquals(200, r.status());
        JsonNode b = body(r);
        assertEquals(2, b.get("forwarded").asInt());
        assertEquals(0, b.get("failed").asInt());
        assertEquals(0, b.get("skipped").asInt());
        assertEquals(2, hub.delivered.size());
        DeviceMessage first = hub.delivered.stream().filter(m -> m.deviceId().equals("dev-1")).findFirst().orElseThrow();
        assertEquals("{\"t\":21.5}", new String(first.body(), StandardCharsets.UTF_8));
        assertEquals("2026-11-27T10:00:00.123Z", first.creationTimeUtc().orElseThrow(), "normalised to UTC, ms, truncated");
        assertEquals("dtmi:com:example:Sensor;1", first.modelId().orElseThrow());
        assertEquals("env", first.component().orElseThrow());
        assertEquals(Map.of("source", "ttn"), first.properties());
        assertEquals("m-1", first.messageId().orElseThrow());
    }

    @Test
    void aTransformThatOutputsNothingIsAcknowledgedAndSendsNothing() throws Exception {
        WebhookResponse r = handler.handle(post("echo", "{\"messages\": []}"));
        assertEquals(200, r.status());
        assertEquals(0, body(r).get("forwarded").asInt());
        assertEquals(1, body(r).get("skipped").asInt());
        assertTrue(hub.delivered.isEmpty());
    }

    @Test
    void aRouteCanAskFor204WithNoBody() {
        WebhookResponse r = handler.handle(post("quiet", "{\"messages\": [{\"deviceId\": \"d\", \"telemetry\": {}}]}"));
        assertEquals(204, r.status());
        assertEquals(0, r.body().length);
        assertEquals(1, hub.delivered.size());
    }

    @Test
    void unknownRouteIs404NamingTheRoutesThatExist() throws Exception {
        WebhookResponse r = handler.handle(post("nope", "{}"));
        assertEquals(404, r.status());
        assertEquals("no route 'nope'; the routes are: echo, quiet, vars", body(r).get("error").asText());
    }

    @Test
    void bodyLimitsAndContentTypes() throws Exception {
        WebhookResponse tooBig = handler.handle(post("echo", "{\"x\": \"" + "a".repeat(3000) + "\"}"));
        assertEquals(413, tooBig.status());
        assertTrue(body(tooBig).get("error").asText().contains("2048 bytes"));

        WebhookResponse xml = handler.handle(new WebhookRequest("echo", "", Map.of(), Map.of("content-type", "application/xml"), "<a/>".getBytes()));
        assertEquals(415, xml.status());
        assertTrue(body(xml).get("error").asText().contains("application/xml"));

        // a header value may hold a tab (RFC 9110 5.5): the answer shows it rather than carrying it into a log line
        WebhookResponse tab = handler.handle(new WebhookRequest("echo", "", Map.of(), Map.of("content-type", "application/\tjson"),
                "{}".getBytes()));
        assertEquals(415, tab.status());
        assertEquals("Content-Type application/\\u0009json is not supported: send application/json or "
                + "application/x-www-form-urlencoded", body(tab).get("error").asText());

        WebhookResponse none = handler.handle(new WebhookRequest("echo", "", Map.of(), Map.of(), "{}".getBytes()));
        assertEquals(415, none.status());

        WebhookResponse deep = handler.handle(post("echo", "[".repeat(65) + "]".repeat(65)));
        assertEquals(400, deep.status());
        assertTrue(body(deep).get("error").asText().contains("64"), body(deep).toString());

        assertEquals(400, handler.handle(post("echo", "")).status());
        assertEquals(400, handler.handle(post("echo", "{\"a\":1,\"a\":2}")).status());
        assertEquals(400, handler.handle(post("echo", "{\"a\":1} {}")).status());
        assertEquals(400, handler.handle(new WebhookRequest("echo", "", Map.of(), Map.of("content-type", "application/json"),
                new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'})).status());
    }

    @Test
    void numbersAndTextIoTCentralCannotStoreAreRefusedUpFront() throws Exception {
        WebhookResponse huge = handler.handle(post("echo", "{\"messages\": [{\"deviceId\": \"d\", \"telemetry\": {\"t\": 1e400}}]}"));
        assertEquals(400, huge.status(), huge.bodyText());
        WebhookResponse overlong = handler.handle(new WebhookRequest("echo", "", Map.of(), Map.of("content-type", "application/json"),
                new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'}));
        assertEquals(400, overlong.status(), "overlong UTF-8 is not UTF-8");
        assertTrue(hub.delivered.isEmpty());
    }

    /** The body's bytes are parsed as UTF-8 and nothing else: no guess of UTF-16 or UTF-32 from where the zeros are. */
    @Test
    void aBodyInUtf16OrUtf32IsRefusedNotGuessed() throws Exception {
        for (byte[] body : new byte[][] {
                {0x00, '{', 0x00, '}'},                            // UTF-16BE without a byte order mark
                {'{', 0x00, '}', 0x00},                            // UTF-16LE
                {0x00, 0x00, 0x00, '{', 0x00, 0x00, 0x00, '}'},    // UTF-32BE
                {(byte) 0xFE, (byte) 0xFF, 0x00, '{', 0x00, '}'}}) { // UTF-16BE with its byte order mark
            WebhookResponse r = handler.handle(new WebhookRequest("echo", "", Map.of(), Map.of("content-type", "application/json"), body));
            assertEquals(400, r.status(), r.bodyText());
            assertTrue(r.bodyText().contains("not valid UTF-8") || r.bodyText().contains("CTRL-CHAR, code 0"), r.bodyText());
        }
        WebhookResponse bom = handler.handle(new WebhookRequest("echo", "", Map.of(), Map.of("content-type", "application/json"),
                ("\uFEFF{\"messages\": [{\"deviceId\": \"bom\", \"telemetry\": {\"t\": \"\u00e9\"}}]}").getBytes(StandardCharsets.UTF_8)));
        assertEquals(200, bom.status(), "a UTF-8 byte order mark is accepted: " + bom.bodyText());
        assertEquals("{\"t\":\"\u00e9\"}", new String(hub.delivered.get(hub.delivered.size() - 1).body(), StandardCharsets.UTF_8));
    }

    @Test
    void telemetryNestedBeyondTheLimitIsA400NotAStackOverflow() throws Exception {
        String deep = "[".repeat(10_000) + "]".repeat(10_000);
        WebhookHandler unlimited = handler(Map.of("BRIDGE_MAX_BODY_BYTES", "100000", "BRIDGE_MAX_JSON_DEPTH", "1000"));
        WebhookResponse r = unlimited.handle(post("echo", "{\"messages\": [{\"deviceId\": \"d\", \"telemetry\": {\"x\": " + deep + "}}]}"));
        assertEquals(400, r.status(), r.bodyText());
        assertTrue(body(r).get("error").asText().contains("1000"), r.bodyText());
    }

    @Test
    void formBodiesBecomeObjectsOfTheirFields() {
        FakeTransforms form = new FakeTransforms().route("particle", (body, vars) -> List.of(JSON.valueToTree(Map.of(
                "deviceId", body.get("coreid").asText(), "telemetry", Map.of("data", body.get("data").asText(), "at", body.get("published_at").asText())))));
        WebhookHandler h = new WebhookHandler(Settings.from(Map.of()), form, hub, Runnable::run);
        WebhookResponse r = h.handle(new WebhookRequest("particle", "", Map.of(),
                Map.of("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
                "event=demo&data=mydata&published_at=2017-02-01T21%3A08%3A05.763Z&coreid=3f002b000000000000000000".getBytes()));
        assertEquals(200, r.status(), r.bodyText());
        assertEquals("{\"at\":\"2017-02-01T21:08:05.763Z\",\"data\":\"mydata\"}".length(), hub.delivered.get(0).body().length);
        assertEquals("3f002b000000000000000000", hub.delivered.get(0).deviceId());
    }

    @Test
    void transformSeesQueryHeadersRouteAndPathButNoSecrets() throws Exception {
        handler.handle(new WebhookRequest("vars", "70b3d57ed0000001", Map.of("event", "up", "code", "function-key"),
                Map.of("content-type", "application/json", "x-downlink-apikey", "NNSXS.secret", "authorization", "Basic abc", "x-tts-domain", "eu1"),
                "{}".getBytes()));
        JsonNode seen = JSON.readTree(hub.delivered.get(0).body());
        assertEquals(Map.of("event", "up"), JSON.convertValue(seen.get("query"), Map.class));
        assertEquals("eu1", seen.get("headers").get("x-tts-domain").asText());
        assertFalse(seen.get("headers").has("x-downlink-apikey"));
        assertFalse(seen.get("headers").has("authorization"));
        assertEquals("vars", seen.get("route").asText());
        assertEquals("70b3d57ed0000001", seen.get("path").asText());
    }

    @Test
    void invalidMessagesAre400NamingFieldAndRuleAndNothingIsSent() throws Exception {
        Map<String, String> cases = new HashMap<>();
        cases.put("{\"telemetry\": {}}", "deviceId is missing");
        cases.put("{\"deviceId\": \"<your device ID>\", \"telemetry\": {}}", "deviceId '<your device ID>' is not a valid device id");
        cases.put("{\"deviceId\": \"" + "a".repeat(129) + "\", \"telemetry\": {}}", "is not a valid device id");
        cases.put("{\"deviceId\": \"a/b\", \"telemetry\": {}}", "is not a valid device id");
        cases.put("{\"deviceId\": \"ends-with.\", \"telemetry\": {}}", "is not a valid device id");
        cases.put("{\"deviceId\": 42, \"telemetry\": {}}", "deviceId must be a string, not a number");
        cases.put("{\"deviceId\": \"d\"}", "telemetry is missing");
        cases.put("{\"deviceId\": \"d\", \"telemetry\": [1]}", "telemetry must be a JSON object, not an array");
        cases.put("{\"deviceId\": \"d\", \"telemetry\": {}, \"timestamp\": \"yesterday\"}", "timestamp 'yesterday' is not an ISO-8601");
        cases.put("{\"deviceId\": \"d\", \"telemetry\": {}, \"timestamp\": \"2026-11-27T10:00:00\"}", "with a zone");
        cases.put("{\"deviceId\": \"d\", \"telemetry\": {}, \"modelId\": \"urn:x\"}", "modelId 'urn:x' is not a DTMI");
        cases.put("{\"deviceId\": \"d\", \"telemetry\": {}, \"component\": \"1st\"}", "component '1st' is not a DTDL name");
        cases.put("{\"deviceId\": \"d\", \"telemetry\": {}, \"properties\": {\"a b\": \"x\"}}", "property name 'a b'");
        cases.put("{\"deviceId\": \"d\", \"telemetry\": {}, \"properties\": {\"src\": \"The Things\"}}", "property 'src' value 'The Things'");
        cases.put("{\"deviceId\": \"d\", \"telemetry\": {}, \"properties\": {\"src\": {}}}", "property 'src' must be a string");
        cases.put("{\"deviceId\": \"d\", \"telemetry\": {}, \"messageId\": \"has space\"}", "messageId 'has space'");
        cases.put("{\"deviceId\": \"d\", \"telemetry\": {}, \"telemtry\": {}}", "unknown field 'telemtry'");
        cases.put("\"just text\"", "is a string; a transform outputs message objects");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            WebhookResponse r = handler.handle(post("echo", "{\"messages\": [{\"deviceId\": \"ok\", \"telemetry\": {}}, " + c.getKey() + "]}"));
            assertEquals(400, r.status(), c.getKey());
            String error = body(r).get("error").asText();
            assertTrue(error.contains(c.getValue()), c.getKey() + " -> " + error);
            assertTrue(error.startsWith("transform echo message 2"), error);
        }
        assertTrue(hub.delivered.isEmpty(), "a call with an invalid message sends none of its messages");
    }

    @Test
    void aNullOutputIsRefusedRatherThanSilentlyAcknowledged() throws Exception {
        FakeTransforms nulls = new FakeTransforms().route("typo", (b, v) -> List.of(JSON.nullNode()));
        WebhookResponse r = new WebhookHandler(Settings.from(Map.of()), nulls, hub, Runnable::run).handle(post("typo", "{}"));
        assertEquals(400, r.status());
        assertTrue(body(r).get("error").asText().contains("output null"), r.bodyText());
    }

    @Test
    void aRouteWithControlCharactersCannotForgeALogLine() throws Exception {
        WebhookResponse r = handler.handle(post("x\nroute=echo device=forged delivered", "{}"));
        assertEquals(404, r.status());
        assertTrue(body(r).get("error").asText().startsWith("no route 'x\\u000aroute=echo"), r.bodyText());
    }

    @Test
    void tooManyMessagesIs400() throws Exception {
        List<String> four = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            four.add("{\"deviceId\": \"d" + i + "\", \"telemetry\": {}}");
        }
        WebhookResponse r = handler.handle(post("echo", "{\"messages\": [" + String.join(",", four) + "]}"));
        assertEquals(400, r.status());
        assertTrue(body(r).get("error").asText().contains("at most 3"));
    }

    @Test
    void anOversizedMessageIs413BeforeAnythingIsSent() throws Exception {
        WebhookHandler big = handler(Map.of("BRIDGE_MAX_BODY_BYTES", "600000"));
        WebhookResponse r = big.handle(post("echo", "{\"messages\": [{\"deviceId\": \"d\", \"telemetry\": {\"blob\": \"" + "x".repeat(270_000) + "\"}}]}"));
        assertEquals(413, r.status());
        assertTrue(body(r).get("error").asText().contains("at most 262144 bytes"));
    }

    @Test
    void theSizeCountsWhatIoTHubCountsTheSystemPropertiesIncluded() throws Exception {
        WebhookHandler big = handler(Map.of("BRIDGE_MAX_BODY_BYTES", "600000"));
        // a body of 262111 bytes: with the content type and encoding the bridge sends (21 bytes), 12 under the limit
        String telemetry = "{\"blob\": \"" + "x".repeat(262_100) + "\"}";
        WebhookResponse fits = big.handle(post("echo", "{\"messages\": [{\"deviceId\": \"d\", \"telemetry\": " + telemetry + "}]}"));
        assertEquals(200, fits.status(), fits.bodyText());

        // and a message id of 40 characters, which IoT Hub counts as well (fuzz finding 21): refused by the hub before
        WebhookResponse over = big.handle(post("echo", "{\"messages\": [{\"deviceId\": \"d\", \"messageId\": \""
                + "m".repeat(40) + "\", \"telemetry\": " + telemetry + "}]}"));
        assertEquals(413, over.status(), over.bodyText());
        assertTrue(body(over).get("error").asText().contains("the message is 262172 bytes with its properties"), over.bodyText());
    }

    @Test
    void aPropertyNameIsQuotedWithItsControlCharactersShown() throws Exception {
        WebhookResponse r = handler.handle(post("echo", "{\"messages\": [{\"deviceId\": \"d\", \"telemetry\": {},"
                + " \"properties\": {\"a\\rb\": {}}}]}"));
        assertEquals(400, r.status());
        String error = body(r).get("error").asText();
        assertTrue(error.contains("property 'a\\u000db' must be a string, not an object"), error);
    }

    @Test
    void defaultModelIdAppliesWhenTheTransformGivesNone() {
        WebhookHandler h = handler(Map.of("IOTC_DEFAULT_MODEL_ID", "dtmi:com:example:Default;2"));
        h.handle(post("echo", "{\"messages\": [{\"deviceId\": \"d\", \"telemetry\": {}}, {\"deviceId\": \"e\", \"telemetry\": {}, \"modelId\": \"dtmi:x:y;1\"}]}"));
        Map<String, String> models = new HashMap<>();
        hub.delivered.forEach(m -> models.put(m.deviceId(), m.modelId().orElseThrow()));
        assertEquals(Map.of("d", "dtmi:com:example:Default;2", "e", "dtmi:x:y;1"), models);
    }

    @Test
    void partialFailureAnswersWhatLetsTheSenderRetryTheRest() throws Exception {
        hub.failing("blocked", new DeviceRefusedException("device blocked is blocked in IoT Central", Duration.ofSeconds(60)))
           .failing("busy", new TryLaterException(503, "IoT Hub unavailable", Duration.ofSeconds(7)));
        WebhookResponse r = handler.handle(post("echo", """
                {"messages": [{"deviceId": "ok", "telemetry": {}}, {"deviceId": "blocked", "telemetry": {}}, {"deviceId": "busy", "telemetry": {}}]}"""));
        assertEquals(503, r.status(), "a message that can still succeed outranks a refused one");
        assertEquals("60", r.headers().get("Retry-After"), "the longest Retry-After serves every failure");
        JsonNode b = body(r);
        assertEquals(1, b.get("forwarded").asInt());
        assertEquals(2, b.get("failed").asInt());
        assertEquals(403, b.get("results").get(1).get("status").asInt());
        assertEquals("device blocked is blocked in IoT Central", b.get("results").get(1).get("error").asText());
        assertEquals(503, b.get("results").get(2).get("status").asInt());
    }

    @Test
    void aBlockedDeviceAloneIs403() {
        hub.failing("blocked", new DeviceRefusedException("blocked by an operator", null));
        assertEquals(403, handler.handle(post("echo", "{\"messages\": [{\"deviceId\": \"blocked\", \"telemetry\": {}}]}")).status());
    }

    @Test
    void throttlingIs429WithRetryAfter() {
        hub.failing("d", new TryLaterException(429, "throttled", Duration.ofMillis(2500)));
        WebhookResponse r = handler.handle(post("echo", "{\"messages\": [{\"deviceId\": \"d\", \"telemetry\": {}}]}"));
        assertEquals(429, r.status());
        assertEquals("3", r.headers().get("Retry-After"));
    }

    @Test
    void anUnexpectedCrashInTheSenderIs500AndNeverA2xx() throws Exception {
        WebhookHandler h = new WebhookHandler(Settings.from(Map.of()), transforms, (m, b) -> {
            throw new IllegalStateException("boom with a secret SharedAccessSignature sr=x");
        }, Runnable::run);
        WebhookResponse r = h.handle(post("echo", "{\"messages\": [{\"deviceId\": \"d\", \"telemetry\": {}}]}"));
        assertEquals(500, r.status());
        assertFalse(r.bodyText().contains("SharedAccessSignature"));
    }

    @Test
    void aBrokenTransformIs500NamingTheProblem() throws Exception {
        FakeTransforms broken = new FakeTransforms().route("bad", (b, v) -> {
            throw new BridgeFaultException("transforms/bad.jq line 3: syntax error", null);
        });
        WebhookHandler h = new WebhookHandler(Settings.from(Map.of()), broken, hub, Runnable::run);
        WebhookResponse r = h.handle(post("bad", "{}"));
        assertEquals(500, r.status());
        assertEquals("transforms/bad.jq line 3: syntax error", body(r).get("error").asText());
    }

    @Test
    void nonFiniteNumbersCannotReachTheHub() throws Exception {
        FakeTransforms nan = new FakeTransforms().route("nan", (b, v) -> {
            var node = JSON.createObjectNode();
            node.put("deviceId", "d");
            node.putObject("telemetry").put("t", Double.NaN);
            return List.of(node);
        });
        WebhookResponse r = new WebhookHandler(Settings.from(Map.of()), nan, hub, Runnable::run).handle(post("nan", "{}"));
        assertEquals(400, r.status());
        assertTrue(body(r).get("error").asText().contains("telemetry.t is NaN"));
    }
}
