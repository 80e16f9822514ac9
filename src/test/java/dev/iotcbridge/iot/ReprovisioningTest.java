package dev.iotcbridge.iot;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.error.BridgeFaultException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Re-provisioning after a hub failure: what is cached when it fails, and who may answer it. */
class ReprovisioningTest extends IotRig {

    private static final String ID = "sensor-001";

    @Test
    void aFailedReprovisioningForgetsTheDeadLink() {
        lookupAssigned(ID, hubA);
        hubA.stubFor(events(ID).inScenario("moved").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(204)).willSetStateTo("moved"));
        hubA.stubFor(events(ID).inScenario("moved").whenScenarioStateIs("moved")
                .willReturn(json(404, deviceNotFound(ID))));
        dps.stubFor(put(urlEqualTo(registerUrl(ID))).willReturn(json(400, "{\"errorCode\":400001,\"message\":\"bad\"}")));
        IotHubSender sender = sender();
        sender.send(message(ID), BUDGET);                      // on hub A

        BridgeFaultException first = safe(assertThrows(BridgeFaultException.class, () -> sender.send(message(ID), BUDGET)));
        assertEquals(502, first.status());                     // A: 404 -> DPS cannot assign it
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)));

        BridgeFaultException again = safe(assertThrows(BridgeFaultException.class, () -> sender.send(message(ID), BUDGET)));
        assertEquals(502, again.status());
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)), "answered from memory, not after another try of the dead hub");
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
    }

    /** The link a caller had when its hub failed: hub A, as DPS assigned it earlier. */
    private DeviceLink staleLinkOnHubA() {
        HubEndpoint a = new HubEndpoint(hubName(hubA), "http", HUB_API);
        return new DeviceLink(a, ID, TestSas.deviceKey(PRIMARY, ID));
    }

    @Test
    void aLookupThatAnsweredTheFailedHubDoesNotAnswerTheReprovisioner() {
        lookupAssigned(ID, hubA);                              // DPS's status still names hub A
        registerAssigned(ID, hubB);                            // a full registration re-evaluates: hub B
        IotHubSender sender = sender();
        DeviceLink failed = staleLinkOnHubA();                 // caller Y's link, read before the cache lost it

        // caller X, cold cache: the status lookup fills the cache with a new link object, on hub A again
        DeviceLink cold = sender.links().link(ID, Optional.empty(), null, Deadline.after(time, BUDGET));
        assertEquals(hubName(hubA), cold.hub.name);

        // caller Y, whose send to hub A failed: a new link object on the same hub is no answer
        DeviceLink fresh = sender.links().link(ID, Optional.empty(), failed, Deadline.after(time, BUDGET));

        assertEquals(hubName(hubB), fresh.hub.name);
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
    }

    @Test
    void aReprovisionerDoesNotJoinAColdCallersLookup() throws Exception {
        Map<String, String> s = settings();
        // one token, then one every 10 s: the blocker takes it, so X's registration waits in the queue for its turn
        s.put("BRIDGE_DPS_REGISTRATION_BURST", "1");
        s.put("BRIDGE_DPS_REGISTRATIONS_PER_MINUTE", "6");
        lookupAssigned(ID, hubA);                              // DPS's status still names hub A
        registerAssigned(ID, hubB);                            // a full registration re-evaluates: hub B
        lookupUnknown("blocker");
        registerAssigned("blocker", hubA);
        hubAccepts(hubA, "blocker");
        IotHubSender sender = sender(s, o -> o);
        DeviceLinks links = sender.links();
        holdTime();
        deliver(sender, message("blocker"), BUDGET);

        // caller X, cold cache: its registration (lookup first) is queued for its turn in 10 s
        var x = links.linkAsync(ID, Optional.empty(), null, Deadline.after(time, Duration.ofSeconds(30)));
        // caller Y, whose hub A just failed, comes while X's registration waits: it joins and makes it a full one
        var y = links.linkAsync(ID, Optional.empty(), staleLinkOnHubA(), Deadline.after(time, Duration.ofSeconds(30)));
        assertEquals(0, count(dps, "POST", lookupUrl(ID)), "nothing asked before the turn");
        releaseTime();

        assertEquals(hubName(hubB), drive(y).hub.name, "the re-provisioner ends on the hub DPS assigns now");
        assertEquals(hubName(hubB), drive(x).hub.name);
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals(0, count(dps, "POST", lookupUrl(ID)), "the lookup was dropped when the re-provisioner joined");
        assertEquals(List.of(Duration.ofSeconds(10)), scheduledWaits(), "the registration started at its turn");
    }
}
