package dev.iotcbridge.iot;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.error.Completion;
import dev.iotcbridge.error.DeviceRefusedException;
import dev.iotcbridge.error.TryLaterException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link IotHubSender#sendAsync}: a cached device's message is one request on an event loop; whatever that request
 * gets other than a 2xx is carried on by the whole policy, from that reply, so the hub never sees it twice.
 */
class AsyncLanesTest extends IotRig {

    private static final String ID = "sensor-async-1";

    /** The future's outcome, with the fake time driven through its back-offs. */
    private void await(CompletableFuture<Void> f) {
        scheduler.drive(f);
    }

    @Test
    void aCachedDeviceIsSentOnceAndTheFutureCompletes() throws Exception {
        lookupAssigned(ID, hubA);
        hubAccepts(hubA, ID);
        IotHubSender sender = sender();
        deliver(sender, message(ID)); // provisions and caches

        await(sender.sendAsync(message(ID), BUDGET));

        assertEquals(2, count(hubA, "POST", eventsUrl(ID)));
        assertEquals(1, count(dps, "POST", lookupUrl(ID)), "the cached link served the second message");
    }

    @Test
    void aNewDeviceIsProvisionedOffTheLoopThenSent() throws Exception {
        lookupUnknown(ID);
        registerAssigned(ID, hubA);
        hubAccepts(hubA, ID);
        IotHubSender sender = sender();

        await(sender.sendAsync(message(ID), BUDGET));

        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals(1, count(hubA, "POST", eventsUrl(ID)));
    }

    @Test
    void aNewDeviceDpsRefusesFailsTheFutureWith403AndTheNextFromMemory() throws Exception {
        lookupUnknown("blocked-async");
        dps.stubFor(com.github.tomakehurst.wiremock.client.WireMock.put(
                com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo(registerUrl("blocked-async"))).willReturn(json(200,
                "{\"operationId\":\"5.x\",\"status\":\"failed\",\"registrationState\":{\"registrationId\":\"blocked-async\","
                        + "\"status\":\"failed\",\"errorCode\":400209,\"errorMessage\":\"Device is blocked\"}}")));
        IotHubSender sender = sender();

        Exception first = assertThrows(Exception.class, () -> await(sender.sendAsync(message("blocked-async"), BUDGET)));
        Exception again = assertThrows(Exception.class, () -> await(sender.sendAsync(message("blocked-async"), BUDGET)));

        assertEquals(403, assertInstanceOf(DeviceRefusedException.class, Completion.cause(first)).status());
        assertEquals(403, assertInstanceOf(DeviceRefusedException.class, Completion.cause(again)).status());
        assertEquals(1, count(dps, "PUT", registerUrl("blocked-async")), "the second was answered from the refusal memory");
    }

    @Test
    void aHubThatNoLongerKnowsTheDeviceIsLeftWithoutSendingToItAgain() throws Exception {
        lookupAssigned(ID, hubA);
        registerViaPoll(ID, hubB, 3);
        hubAcceptsOnceThenForgets(hubA, ID);
        hubAccepts(hubB, ID);
        IotHubSender sender = sender();
        deliver(sender, message(ID)); // on hub A

        await(sender.sendAsync(message(ID), BUDGET)); // A: 404 on the hot lane -> DPS -> B, from that reply

        assertEquals(2, count(hubA, "POST", eventsUrl(ID)), "the 404 was acted on, not asked again");
        assertEquals(1, count(hubB, "POST", eventsUrl(ID)), "delivered to B exactly once");
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals(List.of(Duration.ofSeconds(3)), scheduledWaits(), "DPS's poll, a scheduled task");
    }

    @Test
    void throttlingBeyondTheBudgetFailsTheFutureWithRetryAfter() throws Exception {
        lookupAssigned(ID, hubA);
        hubA.stubFor(events(ID).inScenario("busy").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(204)).willSetStateTo("busy"));
        hubA.stubFor(events(ID).inScenario("busy").whenScenarioStateIs("busy")
                .willReturn(json(429, "{\"Message\":\"ErrorCode:ThrottlingException;throttled\"}").withHeader("Retry-After", "60")));
        IotHubSender sender = sender();
        deliver(sender, message(ID));

        Exception e = assertThrows(Exception.class, () -> await(sender.sendAsync(message(ID), BUDGET)));

        TryLaterException later = assertInstanceOf(TryLaterException.class, e);
        assertEquals(503, later.status());
        assertEquals(Duration.ofSeconds(60), later.retryAfter().orElseThrow());
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)), "no retry inside the budget: the caller is told when");
        assertTrue(scheduler.delays().isEmpty());
    }

    /**
     * Issue 12, item 5: a back-off is a task on the injected scheduler, not a parked thread. The failed send is
     * answered and the call waits with nothing running (the fake time does not move by itself); once the scheduler's
     * time comes, the retry is sent once, on the same link, and the future completes.
     */
    @Test
    void aRetryWaitsAsATaskOnTheSchedulerAndIsSentOnce() throws Exception {
        lookupAssigned(ID, hubA);
        hubA.stubFor(events(ID).inScenario("flaky").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(204)).willSetStateTo("busy"));
        hubA.stubFor(events(ID).inScenario("flaky").whenScenarioStateIs("busy")
                .willReturn(json(503, "{\"Message\":\"ErrorCode:ServerBusy;busy\"}")).willSetStateTo("ok"));
        hubA.stubFor(events(ID).inScenario("flaky").whenScenarioStateIs("ok").willReturn(aResponse().withStatus(204)));
        IotHubSender sender = sender();
        await(sender.sendAsync(message(ID), BUDGET)); // provisions and caches

        holdTime(); // the fake time stands still until the assertions below have seen the timer waiting
        CompletableFuture<Void> f = sender.sendAsync(message(ID), BUDGET);
        long give = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (scheduler.delays().isEmpty() && System.nanoTime() < give) {
            Thread.sleep(1); // the real request to the hub
        }

        assertEquals(List.of(Duration.ofMillis(100)), scheduler.delays(), "the back-off is scheduled, not slept");
        assertFalse(f.isDone(), "the call waits for its timer");
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)));
        releaseTime();
        await(f);
        assertEquals(3, count(hubA, "POST", eventsUrl(ID)), "the retry, sent once");
    }
}
