package dev.iotcbridge.bridge;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.LogRecordBuilder;
import io.opentelemetry.api.logs.LoggerProvider;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.context.Context;
import java.util.logging.Level;

/**
 * What the handler reports per message and per call, as OpenTelemetry signals: a log record whose attributes are the
 * fields of the per-message line (route, device, outcome, status, latencyMs) and counters an operator can chart
 * (messages by route, outcome and status; calls rejected by status; latency by route, outcome and status).
 *
 * <p>The bridge ships the OpenTelemetry API only. Without an implementation registered (the local server, tests, a
 * Function App without the Application Insights agent) every instrument is the API's no-op: {@link #logsLive()} and
 * {@link #metricsLive()} are false, the handler writes its text lines as before and nothing here allocates. With the
 * agent (docs/azure-protocol.md section 5, "Telemetry") the record replaces the text line, so that Application
 * Insights gets one row per message, its text unchanged and its fields as custom dimensions.
 *
 * <p>Metric attributes are bounded: route (the transforms folder's names), outcome (three words) and status (an HTTP
 * status). The device id is a log attribute only: as a metric dimension it would make one time series per device.
 */
public final class CallTelemetry {

    /** The instrumentation scope: the name the agent files the records and metrics under. */
    static final String SCOPE = "dev.iotcbridge";
    static final AttributeKey<String> ROUTE = AttributeKey.stringKey("route");
    static final AttributeKey<String> DEVICE = AttributeKey.stringKey("device");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outcome");
    static final AttributeKey<Long> STATUS = AttributeKey.longKey("status");
    static final AttributeKey<Long> LATENCY_MS = AttributeKey.longKey("latencyMs");

    /** No implementation: what every instance is without the agent. */
    public static final CallTelemetry NONE = new CallTelemetry(OpenTelemetry.noop());

    private final io.opentelemetry.api.logs.Logger records;
    private final LongCounter messages;
    private final LongCounter rejected;
    private final LongHistogram latency;
    private final boolean logsLive;
    private final boolean metricsLive;

    private CallTelemetry(OpenTelemetry otel) {
        LoggerProvider logs = otel.getLogsBridge();
        MeterProvider meters = otel.getMeterProvider();
        this.logsLive = logs != LoggerProvider.noop();
        this.metricsLive = meters != MeterProvider.noop();
        this.records = logs.get(SCOPE);
        Meter meter = meters.get(SCOPE);
        this.messages = meter.counterBuilder("iotc.bridge.messages").setUnit("{message}")
                .setDescription("messages by route, outcome (delivered, failed, queued) and HTTP status").build();
        this.rejected = meter.counterBuilder("iotc.bridge.calls.rejected").setUnit("{call}")
                .setDescription("calls refused before any message, by HTTP status").build();
        this.latency = meter.histogramBuilder("iotc.bridge.message.latency").ofLongs().setUnit("ms")
                .setDescription("time from the handler's send to the message's outcome").build();
    }

    /**
     * The implementation the process has: the agent's when the Application Insights (or OpenTelemetry) Java agent runs,
     * else the no-op. {@code GlobalOpenTelemetry.get()} is the method every version of the agent's bridge answers.
     */
    public static CallTelemetry global() {
        return of(GlobalOpenTelemetry.get());
    }

    public static CallTelemetry of(OpenTelemetry otel) {
        return new CallTelemetry(otel);
    }

    /** Whether records go to an implementation: then they replace the per-message text lines. */
    public boolean logsLive() {
        return logsLive;
    }

    public boolean metricsLive() {
        return metricsLive;
    }

    /**
     * The context of the call, taken on the caller's thread: outcomes complete on I/O threads, and the record must
     * carry the invocation's trace (its {@code operation_Id}). Null, and no lookup, without an implementation.
     */
    Context callContext() {
        return logsLive ? Context.current() : null;
    }

    /**
     * One message's outcome.
     *
     * @param line the text line of the message, the record's body
     * @return whether a record was emitted (the caller then writes no text line)
     */
    boolean message(Context call, Level level, String route, String device, String outcome, int status,
                    long latencyNanos, String line) {
        long ms = latencyNanos / 1_000_000;
        if (metricsLive) {
            Attributes series = Attributes.of(ROUTE, route, OUTCOME, outcome, STATUS, (long) status);
            messages.add(1, series);
            latency.record(ms, series);
        }
        if (!logsLive) {
            return false;
        }
        LogRecordBuilder record = start(call, level, line).setAttribute(ROUTE, route).setAttribute(OUTCOME, outcome)
                .setAttribute(STATUS, (long) status).setAttribute(LATENCY_MS, ms);
        if (device != null) {
            record.setAttribute(DEVICE, device);
        }
        record.emit();
        return true;
    }

    /** A call refused before any message; route is what the caller sent (abbreviated), so it is no metric attribute. */
    boolean rejected(Level level, String route, int status, String line) {
        if (metricsLive) {
            rejected.add(1, Attributes.of(STATUS, (long) status));
        }
        if (!logsLive) {
            return false;
        }
        start(Context.current(), level, line).setAttribute(ROUTE, route).setAttribute(OUTCOME, "rejected")
                .setAttribute(STATUS, (long) status).emit();
        return true;
    }

    /** Messages of a call that failed as one (the queue refused them): counted, and one record for the call. */
    boolean failedTogether(Context call, Level level, String route, int messageCount, int status, String line) {
        if (metricsLive) {
            messages.add(messageCount, Attributes.of(ROUTE, route, OUTCOME, "failed", STATUS, (long) status));
        }
        if (!logsLive) {
            return false;
        }
        start(call, level, line).setAttribute(ROUTE, route).setAttribute(OUTCOME, "failed")
                .setAttribute(STATUS, (long) status).emit();
        return true;
    }

    private LogRecordBuilder start(Context call, Level level, String line) {
        boolean warning = level.intValue() >= Level.WARNING.intValue();
        LogRecordBuilder record = records.logRecordBuilder()
                .setSeverity(warning ? Severity.WARN : Severity.INFO)
                .setSeverityText(warning ? "WARNING" : "INFO")
                .setBody(line);
        return call == null ? record : record.setContext(call);
    }
}
