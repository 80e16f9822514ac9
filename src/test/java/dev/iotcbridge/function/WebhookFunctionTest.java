package dev.iotcbridge.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import com.microsoft.azure.functions.HttpStatusType;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.testing.FakeTransforms;
import dev.iotcbridge.testing.RecordingSender;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** The Azure Function invoked directly, as the Java worker does, with the host's request and response types. */
class WebhookFunctionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final RecordingSender hub = new RecordingSender();
    private final WebhookHandler handler = new WebhookHandler(Settings.from(Map.of()), new FakeTransforms()
            .route("iotc", (body, vars) -> List.of(JSON.valueToTree(Map.of(
                    "deviceId", body.path("device").path("deviceId").asText(),
                    "telemetry", Map.of("path", vars.path(), "temp", body.path("measurements").path("temp").asDouble())))))
            .route("sigfox", 204, (body, vars) -> List.of(JSON.valueToTree(Map.of("deviceId", "1fd48be", "telemetry", Map.of())))),
            hub, Runnable::run);
    private final List<String> logged = new ArrayList<>();

    @Test
    void postsTheBodyThroughTheHandlerAndCopiesTheAnswerBack() throws Exception {
        FakeRequest request = new FakeRequest("/api/iotc/extra/segments?code=k", "{\"device\": {\"deviceId\": \"dev-7\"}, \"measurements\": {\"temp\": 21.5}}",
                Map.of("Content-Type", "application/json"));
        HttpResponseMessage response = new WebhookFunction(() -> handler).webhook(request, context());

        assertEquals(200, response.getStatusCode());
        assertEquals("application/json; charset=utf-8", response.getHeader("Content-Type"));
        var body = JSON.readTree((byte[]) response.getBody());
        assertEquals(1, body.get("forwarded").asInt());
        assertEquals("dev-7", hub.delivered.get(0).deviceId());
        assertEquals(JSON.readTree("{\"path\":\"extra/segments\",\"temp\":21.5}"), JSON.readTree(hub.delivered.get(0).body()));
        assertEquals(1, logged.size());
        assertTrue(logged.get(0).matches("route=iotc device=dev-7 outcome=delivered status=200 latencyMs=\\d+"), logged.get(0));
    }

    @Test
    void aMissingCatchAllPathAndA204Route() {
        FakeRequest request = new FakeRequest("/api/sigfox", "{}", Map.of("content-type", "application/json"));
        HttpResponseMessage response = new WebhookFunction(() -> handler).webhook(request, context());
        assertEquals(204, response.getStatusCode());
        assertNull(response.getBody());
    }

    @Test
    void rejectionsKeepTheirStatusAndReason() throws Exception {
        FakeRequest request = new FakeRequest("/api/iotc", "not json", Map.of("content-type", "application/json"));
        HttpResponseMessage response = new WebhookFunction(() -> handler).webhook(request, context());
        assertEquals(400, response.getStatusCode());
        assertTrue(JSON.readTree((byte[]) response.getBody()).get("error").asText().startsWith("body is not valid JSON"));
    }

    @Test
    void aBridgeThatCouldNotStartAnswers500NamingTheSetting() throws Exception {
        WebhookFunction function = new WebhookFunction(() -> {
            throw new dev.iotcbridge.error.BridgeFaultException("the bridge could not start: IOTC_GROUP_KEY is required", null);
        });
        HttpResponseMessage response = function.webhook(new FakeRequest("/api/iotc", "{}", Map.of()), context());
        assertEquals(500, response.getStatusCode());
        assertTrue(new String((byte[]) response.getBody(), StandardCharsets.UTF_8).contains("IOTC_GROUP_KEY is required"));
    }

    @Test
    void aQueryCharacterJavaNetUriRefusesStillReachesTheTransform() throws Exception {
        // the worker builds the request's URI with URI.create, which refuses a raw '|'; the URL is still read
        FakeRequest request = new FakeRequest("/api/iotc/a?payload_config=t::uint:8|x", "{\"device\": {\"deviceId\": \"d\"}}",
                Map.of("content-type", "application/json"));
        HttpResponseMessage response = new WebhookFunction(() -> handler).webhook(request, context());
        assertEquals(200, response.getStatusCode());
        assertEquals(JSON.readTree("{\"path\":\"a\",\"temp\":0.0}"), JSON.readTree(hub.delivered.get(0).body()));
    }

    @Test
    void platformIdentityHeadersNeverReachATransform() {
        WebhookHandler seeing = new WebhookHandler(Settings.from(Map.of()), new FakeTransforms()
                .route("iotc", (body, vars) -> List.of(JSON.valueToTree(Map.of("deviceId", "d", "telemetry",
                        Map.of("headers", new java.util.TreeSet<>(vars.headers().keySet())))))), hub, Runnable::run);
        FakeRequest request = new FakeRequest("/api/iotc", "{}", Map.of("Content-Type", "application/json",
                "X-MS-TOKEN-AAD-ACCESS-TOKEN", "eyJ0eXAi", "X-MS-CLIENT-PRINCIPAL", "eyJhdXRo", "X-Kept", "1"));
        assertEquals(200, new WebhookFunction(() -> seeing).webhook(request, context()).getStatusCode());
        assertEquals("{\"headers\":[\"content-type\",\"x-kept\"]}", new String(hub.delivered.get(0).body(), StandardCharsets.UTF_8));
    }

    private ExecutionContext context() {
        Logger logger = Logger.getAnonymousLogger();
        logger.setUseParentHandlers(false);
        logger.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        return new ExecutionContext() {
            @Override
            public Logger getLogger() {
                return logger;
            }

            @Override
            public String getInvocationId() {
                return "test-invocation";
            }

            @Override
            public String getFunctionName() {
                return "webhook";
            }
        };
    }

    /** The host's request, as the Java worker builds it: the URL as the host sent it, the body as a string. */
    private record FakeRequest(String target, String body, Map<String, String> headers)
            implements HttpRequestMessage<Optional<String>> {

        @Override
        public URI getUri() {
            return URI.create("https://app.azurewebsites.net" + target); // as the worker does: it may throw
        }

        @Override
        public HttpMethod getHttpMethod() {
            return HttpMethod.POST;
        }

        @Override
        public Map<String, String> getHeaders() {
            return headers;
        }

        @Override
        public Map<String, String> getQueryParameters() {
            return Map.of();
        }

        @Override
        public Optional<String> getBody() {
            return Optional.ofNullable(body);
        }

        @Override
        public HttpResponseMessage.Builder createResponseBuilder(HttpStatus status) {
            return new FakeResponse(status);
        }

        @Override
        public HttpResponseMessage.Builder createResponseBuilder(HttpStatusType status) {
            return new FakeResponse(status);
        }
    }

    private static final class FakeResponse implements HttpResponseMessage.Builder, HttpResponseMessage {
        private HttpStatusType status;
        private final Map<String, String> headers = new HashMap<>();
        private Object body;

        FakeResponse(HttpStatusType status) {
            this.status = status;
        }

        public HttpResponseMessage.Builder status(HttpStatusType s) { this.status = s; return this; }
        public HttpResponseMessage.Builder header(String k, String v) { headers.put(k, v); return this; }
        public HttpResponseMessage.Builder body(Object b) { this.body = b; return this; }
        public HttpResponseMessage build() { return this; }
        public HttpStatusType getStatus() { return status; }
        public int getStatusCode() { return status.value(); }
        public String getHeader(String k) { return headers.get(k); }
        public Object getBody() { return body; }
    }
}
