package dev.iotcbridge.iot;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToIgnoreCase;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;

import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.error.DeviceRefusedException;
import dev.iotcbridge.error.TryLaterException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;

/** The cold path: status lookup, registration and polling, single flight, back-off memory, admission, key rotation. */
class ProvisioningTest extends IotRig {

    @Test
    void deviceKnownToDpsIsFoundByOneLookup() {
        lookupAssigned("sensor-001", hubA);
        hubAccepts(hubA, "sensor-001");

        sender().send(message("sensor-001"), BUDGET);

        List<LoggedRequest> lookups = requests(dps, "POST", lookupUrl("sensor-001"));
        assertEquals(1, lookups.size());
        LoggedRequest lookup = lookups.get(0);
        dps.verify(postRequestedFor(urlEqualTo(lookupUrl("sensor-001")))
                .withHeader("Content-Type", equalToIgnoreCase("application/json; charset=utf-8")) // WireMock upper-cases the charset
                .withHeader("Accept", equalTo("application/json"))
                .withRequestBody(equalToJson("{\"registrationId\":\"sensor-001\"}", false, false)));
        TestSas.assertSigned(lookup.getHeader("Authorization"), TestSas.deviceKey(PRIMARY, "sensor-001"),
                SCOPE + "%2Fregistrations%2Fsensor-001", time.epochSecond() + 3600, "registration");
        assertEquals(0, count(dps, "PUT", registerUrl("sensor-001")), "no registration when the lookup answers");
        assertEquals(1, count(hubA, "POST", eventsUrl("sensor-001")));
    }

    @Test
    void newDeviceIsRegisteredWithItsModelAndPolledAsDpsAsks() {
        lookupUnknown("sensor-001");
        registerViaPoll("sensor-001", hubA, 3);
        hubAccepts(hubA, "sensor-001");

        sender().send(withModel("sensor-001", "dtmi:com:example:Thermostat;1"), BUDGET);

        dps.verify(1, putRequestedFor(urlEqualTo(registerUrl("sensor-001")))
                .withHeader("Content-Type", equalToIgnoreCase("application/json; charset=utf-8")) // WireMock upper-cases the charset
                .withHeader("Accept", equalTo("application/json"))
                // payload is an object, not a string (the SDK's mistake, docs/azure-protocol.md §2.9)
                .withRequestBody(equalToJson("{\"registrationId\":\"sensor-001\",\"payload\":{\"modelId\":\"dtmi:com:example:Thermostat;1\"}}", false, false)));
        LoggedRequest register = requests(dps, "PUT", registerUrl("sensor-001")).get(0);
        long registeredAt = time.epochSecond() - 3; // the poll came 3 s later, on the fake clock
        TestSas.assertSigned(register.getHeader("Authorization"), TestSas.deviceKey(PRIMARY, "sensor-001"),
                SCOPE + "%2Fregistrations%2Fsensor-001", registeredAt + 3600, "registration");

        String poll = pollUrl("sensor-001", "5.316aac5bdc130deb.op-sensor-001");
        dps.verify(1, getRequestedFor(urlEqualTo(poll)).withHeader("Accept", equalTo("application/json")));
        TestSas.assertSigned(requests(dps, "GET", poll).get(0).getHeader("Authorization"),
                TestSas.deviceKey(PRIMARY, "sensor-001"), SCOPE + "%2Fregistrations%2Fsensor-001", time.epochSecond() + 3600, "registration");
        assertEquals(List.of(Duration.ofSeconds(3)), scheduledWaits(), "waited exactly DPS's Retry-After, as a scheduled task");
        assertEquals(1, count(hubA, "POST", eventsUrl("sensor-001")));
    }

    @Test
    void withoutModelIdThePayloadIsLeftOutAndTheApiVersionIsConfigurable() {
        Map<String, String> s = settings();
        s.put("IOTC_DPS_API_VERSION", "2021-06-01");
        String register = "/" + SCOPE + "/registrations/sensor-002/register?api-version=2021-06-01";
        dps.stubFor(put(urlEqualTo(register)).willReturn(json(200, assignedOperation("sensor-002", hubName(hubA)))));
        hubAccepts(hubA, "sensor-002");

        sender(s, o -> o).send(message("sensor-002"), BUDGET);

        dps.verify(1, postRequestedFor(urlEqualTo("/" + SCOPE + "/registrations/sensor-002?api-version=2021-06-01")));
        List<LoggedRequest> puts = requests(dps, "PUT", register);
        assertEquals(1, puts.size());
        assertEquals("{\"registrationId\":\"sensor-002\"}", puts.get(0).getBodyAsString());
        assertEquals(1, count(hubA, "POST", eventsUrl("sensor-002")));
    }

    @Test
    void twentyConcurrentFirstMessagesCauseOneRegistration() throws Exception {
        lookupUnknown("sensor-001");
        registerViaPoll("sensor-001", hubA, 3);
        hubAccepts(hubA, "sensor-001");
        IotHubSender sender = sender();
        holdTime(); // the registration waits for its poll until all 20 calls have joined it

        List<java.util.concurrent.CompletableFuture<Void>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(sender.sendAsync(message("sensor-001"), BUDGET));
        }
        assertTrue(calls.stream().noneMatch(java.util.concurrent.CompletableFuture::isDone), "all 20 wait for the registration");
        releaseTime();
        for (var call : calls) {
            drive(call);
        }

        assertEquals(1, count(dps, "POST", lookupUrl("sensor-001")));
        assertEquals(1, count(dps, "PUT", registerUrl("sensor-001")));
        assertEquals(20, count(hubA, "POST", eventsUrl("sensor-001")));
    }

    @Test
    void registrationOutlivesTheCallThatStartedItAndServesTheRetry() throws Exception {
        lookupUnknown("sensor-001");
        registerViaPoll("sensor-001", hubA, 3);
        hubAccepts(hubA, "sensor-001");
        IotHubSender sender = sender();

        // DPS asks for 3 s; the call has 50 ms: it must answer 503 with Retry-After and leave the registration running
        TryLaterException e = safe(assertThrows(TryLaterException.class,
                () -> deliver(sender, message("sensor-001"), Duration.ofMillis(50))));
        assertEquals(503, e.status());
        assertEquals(Duration.ofSeconds(3), e.retryAfter().orElseThrow());
        assertEquals(0, count(hubA, "POST", eventsUrl("sensor-001")));
        awaitSettled();                                        // the registration went on: its poll came 3 s later
        assertEquals(List.of(Duration.ofMillis(50), Duration.ofSeconds(3)), scheduledWaits(),
                "the call's budget was a timer on the injected clock, the poll another");

        deliver(sender, message("sensor-001"), BUDGET);        // the webhook sender's retry

        assertEquals(1, count(dps, "PUT", registerUrl("sensor-001")), "the retry used the first registration");
        assertEquals(1, count(hubA, "POST", eventsUrl("sensor-001")));
    }

    @Test
    void blockedDeviceIsAnswered403FromMemoryDuringTheBackoffWindow() {
        lookupUnknown("blocked-1");
        dps.stubFor(put(urlEqualTo(registerUrl("blocked-1"))).willReturn(json(200,
                "{\"operationId\":\"5.x\",\"status\":\"failed\",\"registrationState\":{\"registrationId\":\"blocked-1\","
                        + "\"status\":\"failed\",\"errorCode\":400209,\"errorMessage\":\"Device is blocked\"}}")));
        IotHubSender sender = sender();

        DeviceRefusedException first = safe(assertThrows(DeviceRefusedException.class, () -> sender.send(message("blocked-1"), BUDGET)));
        assertEquals(403, first.status());
        assertEquals(Duration.ofSeconds(60), first.retryAfter().orElseThrow());
        assertTrue(first.getMessage().contains("blocked") && first.getMessage().contains("400209"), first.getMessage());

        time.advance(Duration.ofSeconds(20));
        for (int i = 0; i < 50; i++) {
            DeviceRefusedException again = safe(assertThrows(DeviceRefusedException.class, () -> sender.send(message("blocked-1"), BUDGET)));
            assertEquals(Duration.ofSeconds(40), again.retryAfter().orElseThrow());
        }
        assertEquals(1, count(dps, "PUT", registerUrl("blocked-1")), "the flood did not reach DPS");
        assertEquals(1, count(dps, "POST", lookupUrl("blocked-1")));

        time.advance(Duration.ofSeconds(41));
        assertThrows(DeviceRefusedException.class, () -> sender.send(message("blocked-1"), BUDGET));
        assertEquals(2, count(dps, "PUT", registerUrl("blocked-1")), "asked DPS again after the window");
    }

    @Test
    void aRegistrationAnswerCutHalfWayIsRetriedLikeAnyDroppedConnection() {
        // found by the fault suite (dps-cuts-answers): a cut 200 used to count as an unusable answer, 502 for 5 s
        lookupUnknown("sensor-001");
        dps.stubFor(put(urlEqualTo(registerUrl("sensor-001"))).inScenario("cut").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK)).willSetStateTo("answered"));
        dps.stubFor(put(urlEqualTo(registerUrl("sensor-001"))).inScenario("cut").whenScenarioStateIs("answered")
                .willReturn(json(200, assignedOperation("sensor-001", hubName(hubA)))));
        hubAccepts(hubA, "sensor-001");

        sender().send(message("sensor-001"), BUDGET);

        assertEquals(2, count(dps, "PUT", registerUrl("sensor-001")), "registered again after the cut");
        assertEquals(1, count(hubA, "POST", eventsUrl("sensor-001")));
    }

    @Test
    void dpsOutageAnswers503ThenSlowsCallersDownWith429() {
        lookupUnknown("sensor-001");
        dps.stubFor(put(urlEqualTo(registerUrl("sensor-001"))).willReturn(json(503,
                "{\"errorCode\":503000,\"message\":\"busy\"}").withHeader("Retry-After", "10")));
        IotHubSender sender = sender(settings(), o -> o.withRegistrationTimeout(Duration.ofSeconds(15)));

        // DPS asks for 10 s before the next attempt: the call's 10 s cannot cover it and a DPS round, so it is
        // answered at once, with the attempt's turn plus a round (was: after its whole budget, with DPS's 10 s)
        TryLaterException first = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message("sensor-001"), BUDGET)));
        assertEquals(503, first.status());
        assertEquals(Duration.ofSeconds(13), first.retryAfter().orElseThrow());
        awaitSettled();
        // within its 15 s the registration retried once, after DPS's Retry-After
        assertEquals(2, count(dps, "PUT", registerUrl("sensor-001")));
        assertEquals(List.of(Duration.ofSeconds(10)), scheduledWaits());

        TryLaterException again = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message("sensor-001"), BUDGET)));
        assertEquals(429, again.status());
        assertEquals(2, count(dps, "PUT", registerUrl("sensor-001")), "remembered: DPS not asked");
    }

    @Test
    void aBurstOfFiftyNewDevicesCompletesInOneDpsRoundWithinTheBudget() throws Exception {
        // the onboarding burst: 50 first messages at once, DPS asking Retry-After 3 s, the default 4 s budget
        for (int i = 0; i < 50; i++) {
            lookupUnknown("site-" + i);
            registerViaPoll("site-" + i, hubA, 3);
            hubAccepts(hubA, "site-" + i);
        }
        IotHubSender sender = sender();
        Duration budget = dev.iotcbridge.config.Settings.from(settings()).requestBudget();
        long start = time.read();

        List<java.util.concurrent.CompletableFuture<Void>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            calls.add(sender.sendAsync(message("site-" + i), budget));
        }
        for (var call : calls) {
            drive(call);
        }

        assertEquals(Duration.ofSeconds(3), Duration.ofNanos(time.read() - start), "one DPS round for all 50");
        for (int i = 0; i < 50; i++) {
            assertEquals(1, count(dps, "PUT", registerUrl("site-" + i)));
            assertEquals(1, count(hubA, "POST", eventsUrl("site-" + i)));
        }
    }

    @Test
    void whatTheRateCannotAdmitNowIsQueuedAnswered503WithItsTurnAndFoundDoneByTheRetry() throws Exception {
        Map<String, String> s = settings();
        s.put("BRIDGE_DPS_REGISTRATION_BURST", "2");
        s.put("BRIDGE_DPS_REGISTRATIONS_PER_MINUTE", "6"); // a token every 10 s
        for (int i = 0; i < 3; i++) {
            registerAssigned("dev-" + i, hubA);
            lookupUnknown("dev-" + i);
            hubAccepts(hubA, "dev-" + i);
        }
        IotHubSender sender = sender(s, o -> o);
        holdTime();

        deliver(sender, message("dev-0"), BUDGET);
        deliver(sender, message("dev-1"), BUDGET);
        // the third waits 10 s for its token: more than its budget can cover with a DPS round, so 503 at once
        TryLaterException queued = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message("dev-2"), BUDGET)));
        assertEquals(503, queued.status());
        assertEquals(Duration.ofSeconds(13), queued.retryAfter().orElseThrow(), "its turn in 10 s, then a DPS round");
        assertTrue(queued.getMessage().contains("BRIDGE_DPS_REGISTRATIONS_PER_MINUTE"), queued.getMessage());
        assertEquals(0, count(dps, "PUT", registerUrl("dev-2")), "not yet: it waits for its token");

        // a second call in the meantime joins the queued registration: same answer, no second place in the queue
        TryLaterException joined = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message("dev-2"), BUDGET)));
        assertEquals(Duration.ofSeconds(13), joined.retryAfter().orElseThrow());

        releaseTime();
        awaitSettled();
        assertEquals(List.of(Duration.ofSeconds(10)), scheduledWaits(), "the registration ran at its turn");
        assertEquals(1, count(dps, "PUT", registerUrl("dev-2")));

        deliver(sender, message("dev-2"), BUDGET); // the sender's retry finds the link made
        assertEquals(1, count(dps, "PUT", registerUrl("dev-2")));
        assertEquals(1, count(hubA, "POST", eventsUrl("dev-2")));
    }

    @Test
    void aTurnBeyondTheHorizonIsNotQueued() {
        Map<String, String> s = settings();
        s.put("BRIDGE_DPS_REGISTRATION_BURST", "1");
        s.put("BRIDGE_DPS_REGISTRATIONS_PER_MINUTE", "1"); // a token a minute: the second is 60 s away
        for (int i = 0; i < 2; i++) {
            registerAssigned("dev-" + i, hubA);
            lookupUnknown("dev-" + i);
            hubAccepts(hubA, "dev-" + i);
        }
        IotHubSender sender = sender(s, o -> o.toBuilder().admissionHorizon(Duration.ofSeconds(30)).build());
        holdTime();
        deliver(sender, message("dev-0"), BUDGET);

        TryLaterException refused = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message("dev-1"), BUDGET)));

        assertEquals(503, refused.status());
        assertEquals(Duration.ofSeconds(63), refused.retryAfter().orElseThrow());
        assertTrue(refused.getMessage().contains("too many devices"), refused.getMessage());
        assertTrue(scheduler.nextDue().isEmpty(), "nothing queued beyond the horizon");
        time.advance(Duration.ofSeconds(60));
        deliver(sender, message("dev-1"), BUDGET);             // its retry, once a token is free
        assertEquals(1, count(dps, "PUT", registerUrl("dev-1")));
    }

    @Test
    void aRefusedPrimaryKeyRollsOverToTheSecondary() {
        Map<String, String> s = settings();
        s.put("IOTC_GROUP_KEY_SECONDARY", SECONDARY);
        String primarySig = "sig=" + TestSas.fields(SasToken.forDps(TestSas.deviceKey(PRIMARY, "sensor-001"), SCOPE, "sensor-001",
                time.epochSecond() + 3600)).get("sig");
        // DPS refuses anything signed with the primary-derived key, accepts the secondary
        dps.stubFor(post(urlEqualTo(lookupUrl("sensor-001"))).willReturn(json(401, "{\"errorCode\":401002,\"message\":\"Unauthorized\"}")));
        dps.stubFor(put(urlEqualTo(registerUrl("sensor-001"))).atPriority(1)
                .withHeader("Authorization", matching(".*" + java.util.regex.Pattern.quote(primarySig) + ".*"))
                .willReturn(json(401, "{\"errorCode\":401002,\"message\":\"Unauthorized\"}")));
        registerAssigned("sensor-001", hubA);
        dps.stubFor(put(urlEqualTo(registerUrl("sensor-002"))).willReturn(json(200, assignedOperation("sensor-002", hubName(hubA)))));
        lookupUnknown("sensor-002");
        hubAccepts(hubA, "sensor-001");
        hubAccepts(hubA, "sensor-002");
        IotHubSender sender = sender(s, o -> o);

        sender.send(message("sensor-001"), BUDGET);

        List<LoggedRequest> puts = requests(dps, "PUT", registerUrl("sensor-001"));
        assertEquals(2, puts.size(), "primary refused, then secondary");
        TestSas.assertSigned(puts.get(0).getHeader("Authorization"), TestSas.deviceKey(PRIMARY, "sensor-001"),
                SCOPE + "%2Fregistrations%2Fsensor-001", time.epochSecond() + 3600, "registration");
        TestSas.assertSigned(puts.get(1).getHeader("Authorization"), TestSas.deviceKey(SECONDARY, "sensor-001"),
                SCOPE + "%2Fregistrations%2Fsensor-001", time.epochSecond() + 3600, "registration");
        // the hub token is signed with the key DPS accepted
        TestSas.assertSigned(requests(hubA, "POST", eventsUrl("sensor-001")).get(0).getHeader("Authorization"),
                TestSas.deviceKey(SECONDARY, "sensor-001"), hubName(hubA).replace(":", "%3A") + "%2Fdevices%2Fsensor-001",
                time.epochSecond() + 3600, null);

        // the next new device starts with the key that works: no doomed primary attempt
        sender.send(message("sensor-002"), BUDGET);
        List<LoggedRequest> next = requests(dps, "PUT", registerUrl("sensor-002"));
        assertEquals(1, next.size());
        TestSas.assertSigned(next.get(0).getHeader("Authorization"), TestSas.deviceKey(SECONDARY, "sensor-002"),
                SCOPE + "%2Fregistrations%2Fsensor-002", time.epochSecond() + 3600, "registration");
    }

    @Test
    void refusedGroupKeyIsTheOperatorsFault() {
        lookupUnknown("sensor-001");
        dps.stubFor(put(urlEqualTo(registerUrl("sensor-001"))).willReturn(json(401, "{\"errorCode\":401002,\"message\":\"Unauthorized\"}")));
        BridgeFaultException e = safe(assertThrows(BridgeFaultException.class, () -> sender().send(message("sensor-001"), BUDGET)));
        assertEquals(500, e.status());
        assertTrue(e.getMessage().contains("IOTC_GROUP_KEY"), e.getMessage());
    }

    @Test
    void idRejectedByDpsIsBadInput() {
        lookupUnknown("Sensor-1");
        dps.stubFor(put(urlEqualTo(registerUrl("Sensor-1"))).willReturn(json(400,
                "{\"errorCode\":400004,\"message\":\"Invalid RegistrationId\"}")));
        BridgeException e = safe(assertThrows(BridgeException.class, () -> sender().send(message("Sensor-1"), BUDGET)));
        assertInstanceOf(BadInputException.class, e);
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("400004"), e.getMessage());
    }

    @Test
    void anErrorInARegistrationDoesNotLeaveTheDeviceRegisteringForever() {
        lookupUnknown("sensor-001");
        registerViaPoll("sensor-001", hubA, 3);
        hubAccepts(hubA, "sensor-001");
        java.util.concurrent.atomic.AtomicInteger polls = new java.util.concurrent.atomic.AtomicInteger();
        Scheduler failingOnce = (delay, task) -> {
            if (delay.equals(Duration.ofSeconds(3)) && polls.getAndIncrement() == 0) {
                throw new NoClassDefFoundError("dev/iotcbridge/Missing"); // not an Exception: nothing catches it
            }
            return recordingScheduler.schedule(delay, task);
        };
        IotHubSender sender = IotHubSender.builder(IotOptions.from(dev.iotcbridge.config.Settings.from(settings())))
                .clock(time).ticker(time).scheduler(failingOnce).build();
        senders.add(sender);
        watchDps(() -> sender.links().dpsRequestsInFlight());

        BridgeFaultException e = safe(assertThrows(BridgeFaultException.class,
                () -> deliver(sender, message("sensor-001"), BUDGET)));
        assertEquals(502, e.status());

        deliver(sender, message("sensor-001"), BUDGET); // a new registration, not a wait on the dead one
        assertEquals(2, count(dps, "PUT", registerUrl("sensor-001")));
        assertEquals(1, count(hubA, "POST", eventsUrl("sensor-001")));
    }

    @Test
    void aThrottledLookupBacksOffInsteadOfRegisteringAtOnce() {
        dps.stubFor(post(urlEqualTo(lookupUrl("sensor-001"))).willReturn(json(429,
                "{\"errorCode\":429001,\"message\":\"throttled\"}").withHeader("Retry-After", "10")));
        registerAssigned("sensor-001", hubA);
        hubAccepts(hubA, "sensor-001");
        IotHubSender sender = sender(settings(), o -> o.withRegistrationTimeout(Duration.ofSeconds(15)));

        TryLaterException first = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message("sensor-001"), BUDGET)));
        assertEquals(503, first.status());
        assertEquals(Duration.ofSeconds(13), first.retryAfter().orElseThrow(), "DPS's 10 s, then a DPS round");
        awaitSettled();
        assertEquals(0, count(dps, "PUT", registerUrl("sensor-001")), "no second request into the throttling");
        assertEquals(2, count(dps, "POST", lookupUrl("sensor-001")), "asked again after DPS's Retry-After");
        assertEquals(List.of(Duration.ofSeconds(10)), scheduledWaits());

        TryLaterException again = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message("sensor-001"), BUDGET)));
        assertEquals(429, again.status());
        assertEquals(2, count(dps, "POST", lookupUrl("sensor-001")), "remembered: DPS not asked");
    }

    @Test
    void aLookupAnswered5xxIsRetriedLaterNotFollowedByARegistration() {
        dps.stubFor(post(urlEqualTo(lookupUrl("sensor-001"))).inScenario("dps").whenScenarioStateIs(STARTED)
                .willReturn(json(503, "{\"errorCode\":503000}").withHeader("Retry-After", "2")).willSetStateTo("up"));
        dps.stubFor(post(urlEqualTo(lookupUrl("sensor-001"))).inScenario("dps").whenScenarioStateIs("up")
                .willReturn(json(200, registrationState("sensor-001", hubName(hubA)))));
        registerAssigned("sensor-001", hubA);
        hubAccepts(hubA, "sensor-001");

        sender().send(message("sensor-001"), BUDGET);

        assertEquals(2, count(dps, "POST", lookupUrl("sensor-001")));
        assertEquals(0, count(dps, "PUT", registerUrl("sensor-001")));
        assertEquals(List.of(Duration.ofSeconds(2)), scheduledWaits());
        assertEquals(1, count(hubA, "POST", eventsUrl("sensor-001")));
    }

    private static String failedOperation(String id, int errorCode) {
        return "{\"operationId\":\"5.x\",\"status\":\"failed\",\"registrationState\":{\"registrationId\":\"" + id + "\","
                + "\"status\":\"failed\",\"errorCode\":" + errorCode + ",\"errorMessage\":\"Custom allocation failed\"}}";
    }

    @Test
    void failedWithAnotherCodeIsDpsMisbehaving502RememberedForTheFailureBackoff() {
        lookupUnknown("sensor-001");
        dps.stubFor(put(urlEqualTo(registerUrl("sensor-001"))).willReturn(json(200, failedOperation("sensor-001", 400301))));
        IotHubSender sender = sender();

        BridgeFaultException first = safe(assertThrows(BridgeFaultException.class, () -> sender.send(message("sensor-001"), BUDGET)));
        assertEquals(502, first.status());
        assertTrue(first.getMessage().contains("400301"), first.getMessage());

        time.advance(Duration.ofSeconds(4));                   // inside the 5 s failure back-off
        assertEquals(502, safe(assertThrows(BridgeFaultException.class, () -> sender.send(message("sensor-001"), BUDGET))).status());
        assertEquals(1, count(dps, "PUT", registerUrl("sensor-001")), "answered from memory");

        time.advance(Duration.ofSeconds(2));
        assertThrows(BridgeFaultException.class, () -> sender.send(message("sensor-001"), BUDGET));
        assertEquals(2, count(dps, "PUT", registerUrl("sensor-001")), "asked DPS again after the back-off");
    }

    @Test
    void disabledEnrollmentIsRefused403() {
        lookupUnknown("sensor-001");
        dps.stubFor(put(urlEqualTo(registerUrl("sensor-001"))).willReturn(json(200,
                "{\"operationId\":\"5.x\",\"status\":\"disabled\",\"registrationState\":{\"registrationId\":\"sensor-001\","
                        + "\"status\":\"disabled\"}}")));
        IotHubSender sender = sender();

        DeviceRefusedException e = safe(assertThrows(DeviceRefusedException.class, () -> sender.send(message("sensor-001"), BUDGET)));
        assertEquals(403, e.status());
        assertEquals(Duration.ofSeconds(60), e.retryAfter().orElseThrow());
        assertTrue(e.getMessage().contains("disabled"), e.getMessage());
        safe(assertThrows(DeviceRefusedException.class, () -> sender.send(message("sensor-001"), BUDGET)));
        assertEquals(1, count(dps, "PUT", registerUrl("sensor-001")));
    }

    @Test
    void dpsHttp403IsRefused403() {
        lookupUnknown("sensor-001");
        dps.stubFor(put(urlEqualTo(registerUrl("sensor-001"))).willReturn(json(403,
                "{\"errorCode\":403000,\"message\":\"Forbidden\"}")));

        DeviceRefusedException e = safe(assertThrows(DeviceRefusedException.class, () -> sender().send(message("sensor-001"), BUDGET)));

        assertEquals(403, e.status());
        assertEquals(Duration.ofSeconds(60), e.retryAfter().orElseThrow());
        assertTrue(e.getMessage().contains("403"), e.getMessage());
    }

    @Test
    void aMalformedAssignedHubIsAClean502RememberedLikeAnyDpsFault() {
        for (String hub : List.of("hub.example/evil", "user@hub.example", "hub.example:99999x")) {
            dps.resetAll();
            lookupUnknown("sensor-001");
            dps.stubFor(put(urlEqualTo(registerUrl("sensor-001"))).willReturn(json(200, assignedOperation("sensor-001", hub))));
            IotHubSender sender = sender();

            BridgeFaultException first = safe(assertThrows(BridgeFaultException.class, () -> sender.send(message("sensor-001"), BUDGET)));
            assertEquals(502, first.status(), hub);
            assertTrue(first.getMessage().contains("host[:port]"), first.getMessage());

            assertEquals(502, safe(assertThrows(BridgeFaultException.class, () -> sender.send(message("sensor-001"), BUDGET))).status());
            assertEquals(1, count(dps, "PUT", registerUrl("sensor-001")), hub + ": remembered, DPS not asked again");
        }
    }
}
