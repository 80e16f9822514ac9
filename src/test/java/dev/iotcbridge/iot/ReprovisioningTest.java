package dev.iotcbridge.iot;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.error.DeviceRefusedException;
import dev.iotcbridge.error.TryLaterException;
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
        deliver(sender, message(ID));                      // on hub A

        BridgeFaultException first = safe(assertThrows(BridgeFaultException.class, () -> deliver(sender, message(ID))));
        assertEquals(502, first.status());                     // A: 404 -> DPS cannot assign it
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)));

        BridgeFaultException again = safe(assertThrows(BridgeFaultException.class, () -> deliver(sender, message(ID))));
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
        DeviceLink cold = sender.links().linkAsync(ID, Optional.empty(), null, Deadline.after(time, BUDGET)).join();
        assertEquals(hubName(hubA), cold.hub.name);

        // caller Y, whose send to hub A failed: a new link object on the same hub is no answer
        DeviceLink fresh = sender.links().linkAsync(ID, Optional.empty(), failed, Deadline.after(time, BUDGET)).join();

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

    // ---- the re-provisioning window (issue 12, item 1)

    /**
     * A device deleted from the app: its hub answers 404 to every send, and DPS keeps assigning it there. Once per
     * window it is registered again; in between, each call tries the fresh link (with back-off), then answers 503
     * with a Retry-After that runs to the window's end, the moment another registration becomes possible.
     */
    @Test
    void aDeviceTheHubNeverKnowsIsRegisteredAgainAtMostOncePerWindow() {
        lookupAssigned(ID, hubA);
        registerAssigned(ID, hubA);
        hubA.stubFor(events(ID).willReturn(json(404, deviceNotFound(ID))));
        IotHubSender sender = sender();

        TryLaterException first = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message(ID))));
        assertEquals(503, first.status());
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals(3, count(hubA, "POST", eventsUrl(ID)), "the lookup's link, then the fresh one twice");
        java.util.List<Duration> retryAfters = new java.util.ArrayList<>(java.util.List.of(first.retryAfter().orElseThrow()));

        for (int call = 0; call < 5; call++) {
            time.advance(Duration.ofSeconds(5));
            retryAfters.add(safe(assertThrows(TryLaterException.class, () -> deliver(sender, message(ID)))).retryAfter().orElseThrow());
        }
        assertEquals(1, count(dps, "PUT", registerUrl(ID)), "no registration inside the window");
        assertEquals(18, count(hubA, "POST", eventsUrl(ID)), "three sends per call on the fresh link");
        assertEquals(java.util.List.of(2L, 4L, 8L, 16L, 16L, 16L), retryAfters.stream().map(Duration::toSeconds).toList(),
                "the callers are asked back sooner than the window's end, later with each call the hub failed (at most 16 s)");

        // each call waited 100 + 200 ms between its sends: this one's last send is answered 27.0 s after the window
        // opened, and the next, 25 s later, 7.7 s before the window ends: never asked back beyond it
        safe(assertThrows(TryLaterException.class, () -> deliver(sender, message(ID))));
        time.advance(Duration.ofSeconds(25));
        TryLaterException nearTheEnd = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message(ID))));
        assertEquals(Duration.ofSeconds(8), nearTheEnd.retryAfter().orElseThrow());
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));

        time.advance(Duration.ofSeconds(9)); // past the window's end
        safe(assertThrows(TryLaterException.class, () -> deliver(sender, message(ID))));
        assertEquals(2, count(dps, "PUT", registerUrl(ID)), "one more registration, for the next window");
        assertEquals(1, count(dps, "POST", lookupUrl(ID)));
        assertEquals(2, sender.drainFleet().reprovisionings(), "what the operator's counter line shows");
    }

    /**
     * A fleet-wide outage queues the devices' re-registrations behind the DPS admission, some a minute ahead. Their
     * links are kept meanwhile, so the callers are asked back within the call back-off, not at the turn: when the hub
     * returns, the next call delivers on the kept link, with no DPS round trip.
     */
    @Test
    void aReRegistrationQueuedForItsTurnLeavesTheKeptLinkToTheNextCall() {
        Map<String, String> s = settings();
        s.put("BRIDGE_DPS_REGISTRATION_BURST", "1");
        s.put("BRIDGE_DPS_REGISTRATIONS_PER_MINUTE", "2");   // the lookup takes the only token: the next in 30 s
        lookupAssigned(ID, hubA);
        hubAcceptsOnceThenForgets(hubA, ID);
        registerAssigned(ID, hubA);
        IotHubSender sender = sender(s, o -> o);
        deliver(sender, message(ID));
        holdTime(); // the queued registration must not get its turn while the test looks

        TryLaterException queued = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message(ID))));

        assertEquals(503, queued.status());
        assertEquals(Duration.ofSeconds(16), queued.retryAfter().orElseThrow(), "the call back-off, not the turn 30 s away");
        assertTrue(queued.getMessage().contains("tried again first on the next call"), queued.getMessage());
        assertEquals(0, count(dps, "PUT", registerUrl(ID)), "the registration waits for its turn");

        hubA.resetAll();
        hubAccepts(hubA, ID);                                  // the hub is back
        deliver(sender, message(ID));
        assertEquals(1, count(hubA, "POST", eventsUrl(ID)), "delivered on the kept link at once");
        assertEquals(0, count(dps, "PUT", registerUrl(ID)));
        releaseTime();
    }

    /**
     * A re-registration that DPS failed has dropped the link whose hub failed: no next call can try it, so the answer
     * keeps the Retry-After of what the bridge remembers (DPS's), and says nothing of a link tried first.
     */
    @Test
    void aReRegistrationThatFailedKeepsItsOwnRetryAfter() {
        lookupAssigned(ID, hubA);
        hubAcceptsOnceThenForgets(hubA, ID);
        dps.stubFor(com.github.tomakehurst.wiremock.client.WireMock.put(
                com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo(registerUrl(ID)))
                .willReturn(json(503, "{\"errorCode\":503000,\"message\":\"busy\"}").withHeader("Retry-After", "90")));   // beyond the registration's 60 s: it ends now
        IotHubSender sender = sender();
        deliver(sender, message(ID));                          // on hub A, which then forgets the device

        TryLaterException failed = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message(ID))));

        assertEquals(503, failed.status());
        assertEquals(Duration.ofSeconds(90), failed.retryAfter().orElseThrow(), "DPS's wait, which the next call meets too");
        assertFalse(failed.getMessage().contains("tried again first"), failed.getMessage());
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));

        TryLaterException next = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message(ID))));
        assertEquals(429, next.status(), "answered from memory: " + next.getMessage());
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)), "the dropped link was not tried");
        assertEquals(1, count(dps, "PUT", registerUrl(ID)), "nor DPS asked again");
    }

    /** The first send that succeeds ends the window: a device that moves again is registered again at once. */
    @Test
    void aDeliveredMessageEndsTheWindow() {
        lookupAssigned(ID, hubA);
        hubAcceptsOnceThenForgets(hubA, ID);
        registerAssigned(ID, hubB);
        hubAccepts(hubB, ID);
        IotHubSender sender = sender();
        deliver(sender, message(ID));                          // on hub A
        deliver(sender, message(ID));                          // A: 404 -> registered again -> B takes it
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals(1, count(hubB, "POST", eventsUrl(ID)));

        hubB.stubFor(events(ID).willReturn(json(404, deviceNotFound(ID))));  // moved again, a second later
        hubA.resetAll();
        hubAccepts(hubA, ID);
        registerAssigned(ID, hubA);
        time.advance(Duration.ofSeconds(1));

        deliver(sender, message(ID));

        assertEquals(2, count(dps, "PUT", registerUrl(ID)), "no window held the device back");
        assertEquals(1, count(hubA, "POST", eventsUrl(ID)));
        assertTrue(scheduler.delays().isEmpty(), "nothing was retried");
    }

    /**
     * A device disabled in IoT Central: the hub refuses it (403 DeviceDisabled); a full registration lets DPS decide,
     * and DPS's refusal (400209) is answered 403 and remembered, so the next call costs neither hub nor DPS.
     */
    @Test
    void aDisabledDeviceIsLeftToDpsWhoseRefusalIsRemembered() {
        lookupAssigned(ID, hubA);
        hubA.stubFor(events(ID).inScenario("disabled").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(204)).willSetStateTo("disabled"));
        hubA.stubFor(events(ID).inScenario("disabled").whenScenarioStateIs("disabled")
                .willReturn(json(403, "{\"Message\":\"ErrorCode:DeviceDisabled;disabled\"}")));
        dps.stubFor(put(urlEqualTo(registerUrl(ID))).willReturn(json(200,
                "{\"operationId\":\"5.x\",\"status\":\"failed\",\"registrationState\":{\"registrationId\":\"" + ID
                        + "\",\"status\":\"failed\",\"errorCode\":400209,\"errorMessage\":\"Device is blocked\"}}")));
        IotHubSender sender = sender();
        deliver(sender, message(ID));

        DeviceRefusedException first = safe(assertThrows(DeviceRefusedException.class, () -> deliver(sender, message(ID))));
        DeviceRefusedException again = safe(assertThrows(DeviceRefusedException.class, () -> deliver(sender, message(ID))));

        assertEquals(403, first.status());
        assertEquals(403, again.status());
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)), "the second refusal came from memory");
    }

}
