package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.config.Secret;
import dev.iotcbridge.config.Settings;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The provisioner on its own, against WireMock DPS: what it derives and asks. */
class ProvisionerTest extends IotRig {

    private final IotOptions options = IotOptions.from(Settings.from(settings()));
    private final OkHttpClient http = IotHubSender.httpClient(options);
    private final AtomicInteger derivations = new AtomicInteger();

    private final List<Provisioner> provisioners = new java.util.ArrayList<>();

    @AfterEach
    void closeHttp() {
        provisioners.forEach(Provisioner::close);
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    private Provisioner provisioner() {
        GroupKey group = GroupKey.of(Secret.of(PRIMARY));
        DeviceKeySource counting = id -> {
            derivations.incrementAndGet();
            return group.deviceKey(id);
        };
        DpsClient dps = new DpsClient(http, options, time, recordingScheduler, new ObjectMapper());
        Provisioner p = new Provisioner(dps, List.of(counting), options, recordingScheduler, time, new java.util.SplittableRandom(7),
                new FleetCounters(io.opentelemetry.api.OpenTelemetry.noop()));
        provisioners.add(p);
        watchDps(p::dpsRequestsInFlight);
        return p;
    }

    @Test
    void aColdRegistrationDerivesTheDeviceKeyOnce() throws Exception {
        lookupUnknown("sensor-001");
        registerViaPoll("sensor-001", hubA, 3);

        var pending = provisioner().provision("sensor-001", Optional.empty(), () -> true, Deadline.after(time, BUDGET));
        DeviceLink link = drive(pending);

        assertEquals(hubName(hubA), link.hub.name);
        assertEquals(1, count(dps, "POST", lookupUrl("sensor-001")));
        assertEquals(1, count(dps, "PUT", registerUrl("sensor-001")));
        assertEquals(1, derivations.get(), "one HMAC for the lookup, the register and the poll");
        assertEquals(List.of(java.time.Duration.ofSeconds(3)), scheduledWaits(), "the poll waited DPS's Retry-After, as a task");
    }
}
