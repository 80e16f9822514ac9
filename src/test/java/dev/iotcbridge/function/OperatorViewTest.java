package dev.iotcbridge.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.bridge.BridgeRuntime;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.bridge.WebhookResponse;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.error.TryLaterException;
import dev.iotcbridge.testing.FakeTransforms;
import dev.iotcbridge.testing.RecordingSender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** What an operator sees of a Function instance: its log records, its counters line and its health answer. */
class OperatorViewTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<LogRecord> invocationRecords = new ArrayList<>();
    private final Logger invocation = recordingLogger(invocationRecords);

    @Test
    void aRecordOnTheCallsThreadGoesToTheInvocationFormattedAndOthersToTheConsoleOneLineEach() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        HostLog log = new HostLog(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

        try (HostLog.Scope scope = HostLog.during(invocation)) {
            log.publish(record(Level.WARNING, "DPS registration of device {0} failed: {1}", "dev-1", "429"));
        }
        assertEquals(1, invocationRecords.size());
        assertEquals("DPS registration of device dev-1 failed: 429", invocationRecords.get(0).getMessage(),
                "the worker sends the raw message, so it must already be formatted");
        assertEquals(Level.WARNING, invocationRecords.get(0).getLevel());

        Thread other = new Thread(() -> {
            log.publish(record(Level.INFO, "device {0} assigned to {1}", "dev-2", "hub-a"));
            LogRecord severe = record(Level.SEVERE, "could not start");
            severe.setThrown(new IllegalStateException("boom"));
            log.publish(severe);
        });
        other.start();
        other.join();
        assertEquals(1, invocationRecords.size(), "a record of another thread never lands in an unrelated invocation");
        assertEquals("INFO dev.iotcbridge.iot.Provisioner: device dev-2 assigned to hub-a\n", out.toString(StandardCharsets.UTF_8));
        assertEquals("SEVERE dev.iotcbridge.iot.Provisioner: could not start (java.lang.IllegalStateException: boom)\n",
                err.toString(StandardCharsets.UTF_8), "one line, led by the level, on stderr: the host files it as Error");
    }

    @Test
    void countersAreOneLineAMinuteAtMostAndCountSinceTheLastLine() throws Exception {
        AtomicLong now = new AtomicLong(1_000);
        CounterReport report = new CounterReport(now::get);
        RecordingSender hub = new RecordingSender().failing("busy", new TryLaterException(503, "IoT Hub throttled the device", Duration.ofSeconds(5)));
        WebhookHandler handler = new WebhookHandler(Settings.from(Map.of()), new FakeTransforms()
                .route("r", (body, vars) -> List.of(JSON.valueToTree(Map.of("deviceId", body.path("d").asText(), "telemetry", Map.of())))),
                hub, Runnable::run);
        for (String device : List.of("a", "b", "busy")) {
            handler.handle(call("{\"d\":\"" + device + "\"}"));
        }
        handler.handle(call("not json"));

        report.maybeReport(handler.counters(), invocation);
        assertEquals(0, invocationRecords.size(), "not a minute yet");

        now.addAndGet(Duration.ofSeconds(61).toNanos());
        report.maybeReport(handler.counters(), invocation);
        assertEquals(List.of("counters periodSeconds=61 delivered=2 queued=0 failed=1 failed503=1 rejected=1 rejected400=1"),
                invocationRecords.stream().map(LogRecord::getMessage).toList());

        now.addAndGet(Duration.ofSeconds(61).toNanos());
        report.maybeReport(handler.counters(), invocation);
        assertEquals(1, invocationRecords.size(), "nothing happened since: an idle instance writes nothing");
    }

    @Test
    void theLinePerMessageCarriesItsFieldsAsKeyValuePairs() {
        RecordingSender hub = new RecordingSender().failing("busy", new TryLaterException(503, "IoT Hub throttled the device", Duration.ofSeconds(5)));
        WebhookHandler handler = new WebhookHandler(Settings.from(Map.of()), new FakeTransforms()
                .route("r", (body, vars) -> List.of(JSON.valueToTree(Map.of("deviceId", body.path("d").asText(), "telemetry", Map.of())))),
                hub, Runnable::run);
        handler.handle(call("{\"d\":\"a\"}"), invocation);
        handler.handle(call("{\"d\":\"busy\"}"), invocation);
        assertTrue(invocationRecords.get(0).getMessage().matches("route=r device=a outcome=delivered status=200 latencyMs=\\d+"),
                invocationRecords.get(0).getMessage());
        assertTrue(invocationRecords.get(1).getMessage().matches(
                "route=r device=busy outcome=failed status=503 latencyMs=\\d+ error=\"IoT Hub throttled the device\""),
                invocationRecords.get(1).getMessage());
    }

    @Test
    void healthSaysWhetherTheSettingsAreUsableWithoutCallingAnything() throws Exception {
        RecordingSender hub = new RecordingSender();
        try (BridgeRuntime runtime = new BridgeRuntime(Settings.from(Map.of()), new FakeTransforms().route("a", (b, v) -> List.of()), hub)) {
            WebhookResponse ok = Health.of(() -> runtime);
            assertEquals(200, ok.status());
            assertEquals(JSON.readTree("{\"status\":\"ok\",\"mode\":\"synchronous\",\"routes\":1}"), JSON.readTree(ok.body()));
        }
        assertEquals(0, hub.delivered.size());

        WebhookResponse unusable = Health.of(() -> {
            throw new BridgeFaultException("the bridge could not start: IOTC_GROUP_KEY is required when IOTC_ID_SCOPE is set", null);
        });
        assertEquals(503, unusable.status());
        JsonNode body = JSON.readTree(unusable.body());
        assertEquals("unusable", body.get("status").asText());
        assertTrue(body.get("error").asText().contains("IOTC_GROUP_KEY"));
    }

    private static WebhookRequest call(String body) {
        return new WebhookRequest("r", "", Map.of(), Map.of("content-type", "application/json"), body.getBytes(StandardCharsets.UTF_8));
    }

    private static LogRecord record(Level level, String pattern, Object... params) {
        LogRecord r = new LogRecord(level, pattern);
        r.setParameters(params);
        r.setLoggerName("dev.iotcbridge.iot.Provisioner");
        return r;
    }

    private static Logger recordingLogger(List<LogRecord> into) {
        Logger logger = Logger.getAnonymousLogger();
        logger.setUseParentHandlers(false);
        logger.addHandler(new Handler() {
            public void publish(LogRecord record) {
                into.add(record);
            }

            public void flush() {
            }

            public void close() {
            }
        });
        return logger;
    }
}
