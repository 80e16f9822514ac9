package dev.iotcbridge.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.azure.functions.ExecutionContext;
import dev.iotcbridge.bridge.CallTelemetry;
import dev.iotcbridge.bridge.TelemetryAccess;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.TryLaterException;
import dev.iotcbridge.faults.SecretWitness;
import dev.iotcbridge.testing.FakeTransforms;
import dev.iotcbridge.testing.RecordingSender;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What the Application Insights agent would receive from the bridge: the calls go through the Function as the host
 * hands them over ({@link FunctionsHostModel}), and an OpenTelemetry SDK with in-memory exporters stands where the
 * agent's implementation stands on Azure.
 */
class TelemetrySignalsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FUNCTION_KEY = "fk-7Qp2LrX9vT4mZc8sWb3nYd6hJ1gKf0aE5uRtIoPl";
    private static final String CLOUD_API_KEY = "NNSXS.ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMN";

    private final InMemoryLogRecordExporter records = InMemoryLogRecordExporter.create();
    private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
    private final OpenTelemetry sdk = OpenTelemetrySdk.builder()
            .setLoggerProvider(SdkLoggerProvider.builder().addLogRecordProcessor(SimpleLogRecordProcessor.create(records)).build())
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
            .build();
    private final RecordingSender hub = new RecordingSender()
            .failing("busy", new TryLaterException(503, "IoT Hub throttled the device", Duration.ofSeconds(5)));
    private final List<String> textLines = new ArrayList<>();

    private WebhookHandler handler(CallTelemetry telemetry) {
        return new WebhookHandler(Settings.from(Map.of()), new FakeTransforms()
                .route("ttn", (body, vars) -> List.of(JSON.valueToTree(Map.of("deviceId", body.path("d").asText(), "telemetry", Map.of())))),
                hub, Runnable::run, Optional.empty(), Optional.empty(), telemetry);
    }

    private FunctionsHostModel.Answer post(WebhookHandler handler, String body) {
        FunctionsHostModel host = new FunctionsHostModel(new WebhookFunction(() -> handler), "webhook");
        return host.invoke(new FunctionsHostModel.Call("POST", "/api/ttn/up?code=" + FUNCTION_KEY,
                List.of(Map.entry("Content-Type", "application/json"), Map.entry("x-functions-key", FUNCTION_KEY),
                        Map.entry("X-Downlink-Apikey", CLOUD_API_KEY)),
                body.getBytes(StandardCharsets.UTF_8)), context());
    }

    @Test
    void aDeliveredMessageIsOneRecordWithExactlyItsFieldsAsAttributesAndTheCountersMove() {
        FunctionsHostModel.Answer answer = post(handler(CallTelemetry.of(sdk)), "{\"d\":\"dev-7\"}");

        assertEquals(200, answer.status());
        List<LogRecordData> emitted = records.getFinishedLogRecordItems();
        assertEquals(1, emitted.size(), "one record per message");
        LogRecordData record = emitted.get(0);
        assertEquals(Set.of("route", "device", "outcome", "status", "latencyMs"), keys(record.getAttributes()));
        assertEquals("ttn", record.getAttributes().get(AttributeKey.stringKey("route")));
        assertEquals("dev-7", record.getAttributes().get(AttributeKey.stringKey("device")));
        assertEquals("delivered", record.getAttributes().get(AttributeKey.stringKey("outcome")));
        assertEquals(200L, record.getAttributes().get(AttributeKey.longKey("status")));
        long ms = record.getAttributes().get(AttributeKey.longKey("latencyMs"));
        assertEquals("route=ttn device=dev-7 outcome=delivered status=200 latencyMs=" + ms, record.getBodyValue().asString(),
                "the body is the text line, so the queries over message keep working");
        assertEquals(Severity.INFO, record.getSeverity());
        assertEquals("dev.iotcbridge", record.getInstrumentationScopeInfo().getName());
        assertEquals(List.of(), textLines, "the record replaces the text line: with the agent, both would land in traces");

        Collection<MetricData> all = metrics.collectAllMetrics();
        assertEquals(1, sum(all, "iotc.bridge.messages", Attributes.of(AttributeKey.stringKey("route"), "ttn",
                AttributeKey.stringKey("outcome"), "delivered", AttributeKey.longKey("status"), 200L)));
        assertEquals(1, histogramCount(all, "iotc.bridge.message.latency"));
    }

    @Test
    void failuresAndRejectionsAreRecordsAtWarningAndCountedByStatusNeverByDevice() {
        WebhookHandler handler = handler(CallTelemetry.of(sdk));
        post(handler, "{\"d\":\"busy\"}");
        post(handler, "{\"d\":\"dev-1\"}");
        post(handler, "{\"d\":\"dev-2\"}");
        FunctionsHostModel.Answer refused = post(handler, "not json");

        assertEquals(400, refused.status());
        List<LogRecordData> emitted = records.getFinishedLogRecordItems();
        assertEquals(4, emitted.size());
        LogRecordData failed = emitted.get(0);
        assertEquals(Severity.WARN, failed.getSeverity());
        assertEquals(503L, failed.getAttributes().get(AttributeKey.longKey("status")));
        assertEquals("failed", failed.getAttributes().get(AttributeKey.stringKey("outcome")));
        assertTrue(failed.getBodyValue().asString().endsWith(" error=\"IoT Hub throttled the device\""), failed.getBodyValue().asString());
        LogRecordData rejected = emitted.get(3);
        assertEquals(Set.of("route", "outcome", "status"), keys(rejected.getAttributes()));
        assertEquals("rejected", rejected.getAttributes().get(AttributeKey.stringKey("outcome")));
        assertEquals(400L, rejected.getAttributes().get(AttributeKey.longKey("status")));

        Collection<MetricData> all = metrics.collectAllMetrics();
        AttributeKey<String> route = AttributeKey.stringKey("route");
        AttributeKey<String> outcome = AttributeKey.stringKey("outcome");
        AttributeKey<Long> status = AttributeKey.longKey("status");
        assertEquals(2, sum(all, "iotc.bridge.messages", Attributes.of(route, "ttn", outcome, "delivered", status, 200L)));
        assertEquals(1, sum(all, "iotc.bridge.messages", Attributes.of(route, "ttn", outcome, "failed", status, 503L)));
        assertEquals(1, sum(all, "iotc.bridge.calls.rejected", Attributes.of(status, 400L)));
        for (MetricData m : all) {
            for (PointData p : m.getData().getPoints()) {
                assertFalse(keys(p.getAttributes()).contains("device"), m.getName() + " must not have one series per device");
            }
        }
    }

    @Test
    void noSecretOfTheCallReachesARecordOrAMetric() {
        SecretWitness witness = SecretWitness.shared();
        witness.secret("function key (telemetry test)", FUNCTION_KEY);
        witness.secret("cloud API key (telemetry test)", CLOUD_API_KEY);
        WebhookHandler handler = handler(CallTelemetry.of(sdk));
        post(handler, "{\"d\":\"dev-7\"}");
        post(handler, "{\"d\":\"busy\"}");
        post(handler, "{");

        for (LogRecordData r : records.getFinishedLogRecordItems()) {
            witness.see(r.getBodyValue().asString() + " " + r.getAttributes());
        }
        for (MetricData m : metrics.collectAllMetrics()) {
            m.getData().getPoints().forEach(p -> witness.see(m.getName() + " " + p.getAttributes()));
        }
        assertEquals(3, records.getFinishedLogRecordItems().size());
        assertEquals(List.of(), witness.leaks());
    }

    @Test
    void withoutAnImplementationTheTextLineStaysAndTheSignalsAllocateNothing() {
        CallTelemetry none = CallTelemetry.of(OpenTelemetry.noop());
        assertFalse(none.logsLive());
        assertFalse(none.metricsLive());
        assertFalse(CallTelemetry.global().logsLive(), "no agent in this JVM: the global implementation is the no-op");
        assertTrue(CallTelemetry.of(sdk).logsLive());

        post(handler(none), "{\"d\":\"dev-7\"}");
        assertEquals(1, textLines.size());
        assertTrue(textLines.get(0).matches("route=ttn device=dev-7 outcome=delivered status=200 latencyMs=\\d+"), textLines.get(0));

        // the no-op path: a flag test, no attributes built, no record, no context lookup
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        Probe probe = new Probe(none);
        probe.run(1_000);
        long before = threads.getThreadAllocatedBytes(tid);
        probe.run(100_000);
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertTrue(allocated < 1_000, allocated + " bytes for 100000 outcomes without an implementation");
        assertEquals(0, probe.taken, "without an implementation the handler writes the text line itself");
    }

    /** Calls the no-op telemetry as the handler does for each outcome. */
    private static final class Probe {
        private final CallTelemetry telemetry;
        long taken;

        Probe(CallTelemetry telemetry) {
            this.telemetry = telemetry;
        }

        void run(int n) {
            for (int i = 0; i < n; i++) {
                if (TelemetryAccess.message(telemetry, "ttn", "dev-7", 200, 7_000_000L)) {
                    taken++;
                }
            }
        }
    }

    private static Set<String> keys(Attributes attributes) {
        return attributes.asMap().keySet().stream().map(AttributeKey::getKey).collect(Collectors.toCollection(TreeSet::new));
    }

    private static long sum(Collection<MetricData> all, String name, Attributes series) {
        return all.stream().filter(m -> m.getName().equals(name)).flatMap(m -> m.getLongSumData().getPoints().stream())
                .filter(p -> p.getAttributes().equals(series)).mapToLong(LongPointData::getValue).sum();
    }

    private static long histogramCount(Collection<MetricData> all, String name) {
        return all.stream().filter(m -> m.getName().equals(name)).flatMap(m -> m.getHistogramData().getPoints().stream())
                .mapToLong(p -> p.getCount()).sum();
    }

    private ExecutionContext context() {
        Logger logger = Logger.getAnonymousLogger();
        logger.setUseParentHandlers(false);
        logger.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getMessage().startsWith("route=")) {
                    textLines.add(record.getMessage());
                }
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
                return "telemetry-invocation";
            }

            @Override
            public String getFunctionName() {
                return "webhook";
            }
        };
    }
}
