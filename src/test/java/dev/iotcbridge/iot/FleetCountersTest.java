package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FleetCountersTest {

    @Test
    void theLineCountsSinceTheLastDrain() {
        FleetCounters c = new FleetCounters(OpenTelemetry.noop());
        c.registration();
        c.registration();
        c.lookup();
        c.reprovisioning();
        c.dpsThrottled();
        c.refused();

        FleetCounters.Counts first = c.drain();
        assertEquals("dpsRegistrations=2 dpsLookups=1 reprovisioned=1 dpsThrottled=1 refused=1", first.fields());
        FleetCounters.Counts second = c.drain();
        assertTrue(second.isEmpty(), "reset by the drain: " + second.fields());
    }

    @Test
    void withAnImplementationTheCountsAreOpenTelemetryCountersToo() {
        InMemoryMetricReader reader = InMemoryMetricReader.create();
        OpenTelemetry otel = OpenTelemetrySdk.builder()
                .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(reader).build()).build();
        FleetCounters c = new FleetCounters(otel);
        c.registration();
        c.reprovisioning();
        c.reprovisioning();
        c.drain(); // the line's drain leaves the metrics' cumulative sums alone

        Map<String, Long> sums = reader.collectAllMetrics().stream().collect(Collectors.toMap(MetricData::getName,
                m -> m.getLongSumData().getPoints().stream().mapToLong(LongPointData::getValue).sum()));
        assertEquals(1L, sums.get("iotc.bridge.dps.registrations"));
        assertEquals(2L, sums.get("iotc.bridge.reprovisionings"));
    }
}
