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
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
        s.put("BRIDGE_DPS_MAX_REGISTRATIONS", "1");
        lookupAssigned(ID, hubA);                              // DPS's status still names hub A
        registerAssigned(ID, hubB);                            // a full registration re-evaluates: hub B
        // another device holds the only registration slot (waiting in its poll) until both callers are waiting
        lookupUnknown("blocker");
        registerViaPoll("blocker", hubA, 3);
        hubAccepts(hubA, "blocker");
        CountDownLatch blockerPolling = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RecordingSleeper recording = sleeper;
        sleeper = new RecordingSleeper(time) {
            @Override
            public void sleep(Duration d) throws InterruptedException {
                blockerPolling.countDown();
                release.await(10, TimeUnit.SECONDS);
                recording.sleep(d);
            }
        };
        IotHubSender sender = sender(s, o -> o);
        DeviceLinks links = sender.links();
        Thread blocker = new Thread(() -> sender.send(message("blocker"), BUDGET));
        blocker.start();
        assertTrue(blockerPolling.await(10, TimeUnit.SECONDS));

        // caller X, cold cache: its registration (lookup first) waits for the slot
        AtomicReference<DeviceLink> xGot = new AtomicReference<>();
        Thread x = new Thread(() -> xGot.set(links.link(ID, Optional.empty(), null, Deadline.after(time, BUDGET))));
        x.start();
        awaitWaiting(x);
        // caller Y, whose hub A just failed, comes while X's registration is pending; release the slot once Y waits
        Thread y = Thread.currentThread();
        Thread releaser = new Thread(() -> {
            awaitWaiting(y);
            release.countDown();
        });
        releaser.start();

        DeviceLink yGot = links.link(ID, Optional.empty(), staleLinkOnHubA(), Deadline.after(time, BUDGET));

        assertEquals(hubName(hubB), yGot.hub.name, "the re-provisioner ends on the hub DPS assigns now");
        x.join(10_000);
        blocker.join(10_000);
        assertEquals(hubName(hubB), xGot.get().hub.name);
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals(0, count(dps, "POST", lookupUrl(ID)), "the lookup was dropped when the re-provisioner joined");
    }

    /** Until the thread parks in a timed wait: for these callers, only the wait for their registration. */
    private static void awaitWaiting(Thread t) {
        long give = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < give) {
            Thread.onSpinWait();
        }
    }
}
