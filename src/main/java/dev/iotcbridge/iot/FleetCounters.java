package dev.iotcbridge.iot;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the forwarding core does to DPS and the hubs, counted for an operator: the figures that show a fleet outage
 * or a rotation going wrong before the per-message lines do. Full DPS registrations and status lookups (each spends
 * DPS quota), re-provisionings the hub's answers started, DPS throttling, and devices DPS refused. Counting is one
 * uncontended addition; the counts go out as the handler's counter line ({@link #drain()}) and, with the
 * Application Insights agent, as OpenTelemetry counters (no-ops without it). No attribute: a device id would make one
 * time series per device, and the route is not known this deep.
 */
public final class FleetCounters {

    private final LongAdder registrations = new LongAdder();
    private final LongAdder lookups = new LongAdder();
    private final LongAdder reprovisionings = new LongAdder();
    private final LongAdder dpsThrottled = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongCounter registrationsMetric;
    private final LongCounter lookupsMetric;
    private final LongCounter reprovisioningsMetric;
    private final LongCounter dpsThrottledMetric;
    private final LongCounter refusedMetric;

    /** @param otel where the counters also go: {@link GlobalOpenTelemetry#get()} in production, the no-op in tests */
    public FleetCounters(OpenTelemetry otel) {
        Meter meter = otel.getMeterProvider().get("dev.iotcbridge");
        registrationsMetric = meter.counterBuilder("iotc.bridge.dps.registrations").setUnit("{registration}")
                .setDescription("full DPS registrations the bridge started (each spends DPS quota)").build();
        lookupsMetric = meter.counterBuilder("iotc.bridge.dps.lookups").setUnit("{lookup}")
                .setDescription("DPS registration status lookups (a cold cache finding a device DPS knows)").build();
        reprovisioningsMetric = meter.counterBuilder("iotc.bridge.reprovisionings").setUnit("{device}")
                .setDescription("re-provisionings started because a hub refused or could not be reached").build();
        dpsThrottledMetric = meter.counterBuilder("iotc.bridge.dps.throttled").setUnit("{answer}")
                .setDescription("DPS answers 429 (throttled)").build();
        refusedMetric = meter.counterBuilder("iotc.bridge.devices.refused").setUnit("{device}")
                .setDescription("devices DPS refused (blocked or awaiting approval in IoT Central)").build();
    }

    /** Counters that go to the process's OpenTelemetry implementation, if it has one. */
    public static FleetCounters global() {
        return new FleetCounters(GlobalOpenTelemetry.get());
    }

    void registration() {
        registrations.increment();
        registrationsMetric.add(1);
    }

    void lookup() {
        lookups.increment();
        lookupsMetric.add(1);
    }

    void reprovisioning() {
        reprovisionings.increment();
        reprovisioningsMetric.add(1);
    }

    void dpsThrottled() {
        dpsThrottled.increment();
        dpsThrottledMetric.add(1);
    }

    void refused() {
        refused.increment();
        refusedMetric.add(1);
    }

    /** The counts since the last drain, reset to zero. */
    public Counts drain() {
        return new Counts(registrations.sumThenReset(), lookups.sumThenReset(), reprovisionings.sumThenReset(),
                dpsThrottled.sumThenReset(), refused.sumThenReset());
    }

    /** Counts over an interval. */
    public record Counts(long registrations, long lookups, long reprovisionings, long dpsThrottled, long refused) {

        public static final Counts NONE = new Counts(0, 0, 0, 0, 0);

        public boolean isEmpty() {
            return registrations == 0 && lookups == 0 && reprovisionings == 0 && dpsThrottled == 0 && refused == 0;
        }

        /** As {@code key=value} pairs, e.g. {@code dpsRegistrations=3 dpsLookups=40 reprovisioned=1 dpsThrottled=0 refused=0}. */
        public String fields() {
            return "dpsRegistrations=" + registrations + " dpsLookups=" + lookups + " reprovisioned=" + reprovisionings
                    + " dpsThrottled=" + dpsThrottled + " refused=" + refused;
        }
    }
}
