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
            sender.send(message(ID), BUDGET);
            assertEquals(1, count(a, "POST", eventsUrl(ID)));
        } finally {
            a.stop();                            // hub A now refuses connections
        }
        IotHubSender sender = senders.get(0);

        sender.send(message(ID), BUDGET);        // the caller sees success

        assertEquals(1, count(hubB, "POST", eventsUrl(ID)), "delivered to B exactly once");
        assertEquals(1, count(dps, "POST", lookupUrl(ID)), "re-provisioning did not use the lookup (stale hub)");
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));

        sender.send(message(ID), BUDGET);        // the next message goes straight to B
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
        sender.send(message(ID), BUDGET);        // on hub A

        sender.send(message(ID), BUDGET);        // A: 404 DeviceNotFound -> DPS -> B

        assertEquals(2, count(hubA, "POST", eventsUrl(ID)));
        assertEquals(1, count(hubB, "POST", eventsUrl(ID)), "delivered to B exactly once");
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals(List.of(java.time.Duration.ofSeconds(3)), scheduledWaits(), "polled as DPS asked, within the budget");

        sender.send(message(ID), BUDGET);
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

        sender().send(message(ID), BUDGET);

        assertEquals(1, count(hubA, "POST", eventsUrl(ID)));
        assertEquals(1, count(hubB, "POST", eventsUrl(ID)));
    }
}
