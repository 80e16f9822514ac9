package dev.iotcbridge.iot;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The failover story end to end: DPS assigned hub A; IoT Central moves the device; A refuses connections (or
 * answers 404); a full registration finds hub B; the message reaches B exactly once; the next goes straight to B.
 */
class FailoverTest extends IotRig {

    private static final String ID = "sensor-001";

    @Test
    void hubThatRefusesConnectionsIsLeftForTheHubDpsAssignsNow() {
        WireMockServer a = new WireMockServer(options().dynamicPort());
        a.start();
        try {
            lookupAssigned(ID, a);               // cold start: DPS still knows hub A
            registerAssigned(ID, hubB);          // a full registration re-evaluates: hub B
            hubAccepts(a, ID);
            hubAccepts(hubB, ID);
            IotHubSender sender = sender();
            deliver(sender, message(ID));
            assertEquals(1, count(a, "POST", eventsUrl(ID)));
        } finally {
            a.stop();                            // hub A now refuses connections
        }
        IotHubSender sender = senders.get(0);

        deliver(sender, message(ID));        // the caller sees success

        assertEquals(1, count(hubB, "POST", eventsUrl(ID)), "delivered to B exactly once");
        assertEquals(1, count(dps, "POST", lookupUrl(ID)), "re-provisioning did not use the lookup (stale hub)");
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));

        deliver(sender, message(ID));        // the next message goes straight to B
        assertEquals(2, count(hubB, "POST", eventsUrl(ID)));
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals(1, count(dps, "POST", lookupUrl(ID)));
    }

    @Test
    void hubThatNoLongerKnowsTheDeviceIsLeftForTheHubDpsAssignsNow() {
        lookupAssigned(ID, hubA);
        registerViaPoll(ID, hubB, 3);
        hubAcceptsOnceThenForgets(hubA, ID);
        hubAccepts(hubB, ID);
        IotHubSender sender = sender();
        deliver(sender, message(ID));        // on hub A

        deliver(sender, message(ID));        // A: 404 DeviceNotFound -> DPS -> B

        assertEquals(2, count(hubA, "POST", eventsUrl(ID)));
        assertEquals(1, count(hubB, "POST", eventsUrl(ID)), "delivered to B exactly once");
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals(List.of(java.time.Duration.ofSeconds(3)), scheduledWaits(), "polled as DPS asked, within the budget");

        deliver(sender, message(ID));
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)), "A is not tried again");
        assertEquals(2, count(hubB, "POST", eventsUrl(ID)));
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals(1, count(dps, "POST", lookupUrl(ID)));
    }

    @Test
    void hubFailingOverIsLeftToo() {
        lookupAssigned(ID, hubA);
        registerAssigned(ID, hubB);
        hubA.stubFor(events(ID).willReturn(json(404,
                "{\"Message\":\"{\\\"errorCode\\\":404012,\\\"message\\\":\\\"IotHub is failing over\\\"}\"}")));
        hubAccepts(hubB, ID);

        deliver(sender(), message(ID));

        assertEquals(1, count(hubA, "POST", eventsUrl(ID)));
        assertEquals(1, count(hubB, "POST", eventsUrl(ID)));
    }

    /**
     * Issue 12: hub A refuses every connection while DPS keeps assigning A; 10 devices whose senders call 8 times each
     * made 80 registrations. Now one each (the re-provisioning window), every call answered 503 with Retry-After, and
     * once A is back each device's next call delivers at once on the link it kept, with no DPS round trip.
     */
    @Test
    void aHubDownWhileDpsKeepsAssigningItCostsOneRegistrationPerDevice() {
        List<String> ids = new java.util.ArrayList<>();
        for (int d = 0; d < 10; d++) {
            String id = "fleet-" + d;
            ids.add(id);
            lookupAssigned(id, hubA);
            registerAssigned(id, hubA);
            hubA.stubFor(events(id).willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse()
                    .withFault(com.github.tomakehurst.wiremock.http.Fault.CONNECTION_RESET_BY_PEER)));
        }
        IotHubSender sender = sender();

        for (int call = 0; call < 8; call++) {
            for (String id : ids) {
                dev.iotcbridge.error.TryLaterException e = safe(org.junit.jupiter.api.Assertions.assertThrows(
                        dev.iotcbridge.error.TryLaterException.class, () -> deliver(sender, message(id))));
                assertEquals(503, e.status());
                org.junit.jupiter.api.Assertions.assertTrue(e.retryAfter().orElseThrow().toSeconds() >= 1);
            }
            time.advance(java.time.Duration.ofSeconds(2)); // the senders' Retry-After or their own back-off
        }
        for (String id : ids) {
            assertEquals(1, count(dps, "PUT", registerUrl(id)), id);
            assertEquals(24, count(hubA, "POST", eventsUrl(id)), "three sends per call: " + id);
        }

        for (String id : ids) {
            hubAccepts(hubA, id);                // A is back
        }
        int delays = scheduler.delays().size();
        for (String id : ids) {
            deliver(sender, message(id));
            assertEquals(25, count(hubA, "POST", eventsUrl(id)), "delivered at once: " + id);
            assertEquals(1, count(dps, "PUT", registerUrl(id)));
            assertEquals(1, count(dps, "POST", lookupUrl(id)));
        }
        assertEquals(delays, scheduler.delays().size(), "no retry was needed");
        assertEquals(10, sender.drainFleet().reprovisionings(), "one re-provisioning per device, not one per call");
    }

    /**
     * Twenty calls for one device at once, its hub failing them all: they share one registration and open one
     * window, so the operator's counter line shows one re-provisioning, and none of them registers again.
     */
    @Test
    void concurrentCallsForOneDeviceShareOneReprovisioning() {
        lookupAssigned(ID, hubA);
        registerAssigned(ID, hubA);
        hubAcceptsOnceThenForgets(hubA, ID);
        IotHubSender sender = sender();
        deliver(sender, message(ID));            // cached on hub A, which then forgets the device

        List<java.util.concurrent.CompletableFuture<Void>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(sender.sendAsync(message(ID), BUDGET));
        }
        for (java.util.concurrent.CompletableFuture<Void> call : calls) {
            dev.iotcbridge.error.TryLaterException e = safe(org.junit.jupiter.api.Assertions.assertThrows(
                    dev.iotcbridge.error.TryLaterException.class, () -> scheduler.drive(call)));
            assertEquals(503, e.status());
        }

        assertEquals(1, count(dps, "PUT", registerUrl(ID)), "one registration for all twenty");
        assertEquals(1, sender.drainFleet().reprovisionings());
        org.junit.jupiter.api.Assertions.assertTrue(count(hubA, "POST", eventsUrl(ID)) <= 1 + 20 * FailurePolicy.MAX_ATTEMPTS,
                "at most three sends per call");
    }
}
