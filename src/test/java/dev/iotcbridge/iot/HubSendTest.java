package dev.iotcbridge.iot;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.binaryEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToIgnoreCase;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.error.DeviceRefusedException;
import dev.iotcbridge.error.TryLaterException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Send-event requests as sent, token caching, and each failure-policy row carried out against a hub. */
class HubSendTest extends IotRig {

    private static final String ID = "a84041000181c150";

    private IotHubSender provisionedOn(com.github.tomakehurst.wiremock.WireMockServer hub) {
        lookupAssigned(ID, hub);
        return sender();
    }

    private String hubSr(com.github.tomakehurst.wiremock.WireMockServer hub) {
        return hubName(hub).replace(":", "%3A") + "%2Fdevices%2F" + ID;
    }

    @Test
    void sendsTheEventExactlyAsTheReferenceSays() {
        IotHubSender sender = provisionedOn(hubA);
        hubAccepts(hubA, ID);
        byte[] body = "{\"temperature\":21.5,\"name\":\"caf\u00e9\",\"nested\":{\"a\":[1,2]}}".getBytes(StandardCharsets.UTF_8);
        DeviceMessage m = new DeviceMessage(ID, Optional.of("dtmi:com:example:Sensor;1"), body,
                Optional.of("2026-11-27T10:00:00.123Z"), Optional.of("environment"), Optional.of("ttn-" + ID + "-4711"),
                Map.of("source", "ttn", "rssi", "-87"));

        deliver(sender, m);

        hubA.verify(1, postRequestedFor(urlEqualTo("/devices/" + ID + "/messages/events?api-version=2021-04-12"))
                .withHeader("Content-Type", equalToIgnoreCase("application/json; charset=utf-8"))
                .withHeader("iothub-contenttype", equalTo("application/json"))
                .withHeader("iothub-contentencoding", equalTo("utf-8"))
                .withHeader("iothub-app-iothub-creation-time-utc", equalTo("2026-11-27T10:00:00.123Z"))
                .withHeader("dt-subject", equalTo("environment"))
                .withHeader("iothub-messageid", equalTo("ttn-" + ID + "-4711"))
                .withHeader("iothub-app-source", equalTo("ttn"))
                .withHeader("iothub-app-rssi", equalTo("-87"))
                .withHeader("Content-Encoding", absent())
                .withHeader("iothub-app-dt-subject", absent())
                .withRequestBody(binaryEqualTo(body)));
        String auth = requests(hubA, "POST", eventsUrl(ID)).get(0).getHeader("Authorization");
        TestSas.assertSigned(auth, TestSas.deviceKey(PRIMARY, ID), hubSr(hubA), time.epochSecond() + 3600, null);
    }

    @Test
    void leavesOutOptionalHeaders() {
        IotHubSender sender = provisionedOn(hubA);
        hubAccepts(hubA, ID);
        deliver(sender, message(ID));
        hubA.verify(1, postRequestedFor(urlEqualTo(eventsUrl(ID)))
                .withHeader("iothub-app-iothub-creation-time-utc", absent())
                .withHeader("dt-subject", absent())
                .withHeader("iothub-messageid", absent()));
    }

    @Test
    void tokenIsCachedAndRenewedBeforeItExpires() {
        IotHubSender sender = provisionedOn(hubA);
        hubAccepts(hubA, ID);
        long start = time.epochSecond();

        deliver(sender, message(ID));
        time.advance(Duration.ofMinutes(40));
        deliver(sender, message(ID));
        time.advance(Duration.ofMinutes(9)); // 49 min: past four fifths of the 60 min lifetime
        deliver(sender, message(ID));

        List<String> auths = requests(hubA, "POST", eventsUrl(ID)).stream().map(r -> r.getHeader("Authorization")).toList();
        assertEquals(3, auths.size());
        assertEquals(auths.get(0), auths.get(1), "cached");
        assertNotEquals(auths.get(1), auths.get(2), "renewed");
        TestSas.assertSigned(auths.get(0), TestSas.deviceKey(PRIMARY, ID), hubSr(hubA), start + 3600, null);
        TestSas.assertSigned(auths.get(2), TestSas.deviceKey(PRIMARY, ID), hubSr(hubA), start + 49 * 60 + 3600, null);
        assertEquals(1, count(dps, "POST", lookupUrl(ID)), "one DPS round trip for all three");
    }

    @Test
    void tokenLifetimeIsConfigurable() {
        Map<String, String> s = settings();
        s.put("BRIDGE_SAS_TTL_MINUTES", "10");
        lookupAssigned(ID, hubA);
        hubAccepts(hubA, ID);
        deliver(sender(s, o -> o), message(ID));
        TestSas.assertSigned(requests(hubA, "POST", eventsUrl(ID)).get(0).getHeader("Authorization"),
                TestSas.deviceKey(PRIMARY, ID), hubSr(hubA), time.epochSecond() + 600, null);
    }

    private void hubAnswersThenAccepts(ResponseDefinitionBuilder first) {
        hubA.stubFor(events(ID).inScenario("hub").whenScenarioStateIs(STARTED).willReturn(first).willSetStateTo("ok"));
        hubA.stubFor(events(ID).inScenario("hub").whenScenarioStateIs("ok").willReturn(aResponse().withStatus(204)));
    }

    @Test
    void throttledHubIsRetriedAfterItsRetryAfter() {
        IotHubSender sender = provisionedOn(hubA);
        hubAnswersThenAccepts(json(429, "{\"Message\":\"ErrorCode:ThrottlingException;throttled\"}").withHeader("Retry-After", "2"));

        deliver(sender, message(ID));

        assertEquals(2, count(hubA, "POST", eventsUrl(ID)));
        assertEquals(List.of(Duration.ofSeconds(2)), scheduler.delays());
        assertEquals(0, count(dps, "PUT", registerUrl(ID)), "throttling never re-provisions");
    }

    @Test
    void serverErrorIsRetriedWithFullJitterBelowTheCeiling() {
        jitter = new java.util.random.RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public long nextLong(long bound) {
                return bound / 2; // the middle of the window full jitter draws from
            }
        };
        IotHubSender sender = provisionedOn(hubA);
        hubAnswersThenAccepts(json(500, "{\"Message\":\"ErrorCode:ServerError;oops\"}"));

        deliver(sender, message(ID));

        assertEquals(2, count(hubA, "POST", eventsUrl(ID)));
        // the first ceiling is 100 ms; full jitter draws from 0 to 100 ms, and this draw is its middle
        assertEquals(List.of(Duration.ofMillis(50)), scheduler.delays());
    }

    /** Issue 12: a hub answering 500 to every send got 17 attempts for 2 calls; now each call sends at most 3 times. */
    @Test
    void busyHubIsSentAtMostThreeTimesPerCallThen503CoveringTheNextStep() {
        IotHubSender sender = provisionedOn(hubA);
        hubA.stubFor(events(ID).willReturn(json(500, "{\"Message\":\"ErrorCode:ServerError;oops\"}")));

        TryLaterException first = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message(ID))));
        TryLaterException second = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message(ID))));

        assertEquals(503, first.status());
        assertEquals(6, count(hubA, "POST", eventsUrl(ID)), "3 sends per call");
        // back-off ceilings 100 ms and 200 ms (the draw is the ceiling here); the next would be up to 400 ms: 1 s
        assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(100), Duration.ofMillis(200)),
                scheduler.delays());
        assertEquals(Duration.ofSeconds(1), first.retryAfter().orElseThrow());
        assertEquals(Duration.ofSeconds(1), second.retryAfter().orElseThrow());
        assertTrue(first.getMessage().contains("after 3 attempts"), first.getMessage());
        assertEquals(0, count(dps, "PUT", registerUrl(ID)));
    }

    /** A wait that fits the budget but leaves less than a send's minimum answer time is not started. */
    @Test
    void aRetryTheRestOfTheBudgetWouldCutIsNotStarted() {
        IotHubSender sender = provisionedOn(hubA);
        hubAccepts(hubA, ID);
        deliver(sender, message(ID)); // provisioned and cached
        hubA.stubFor(events(ID).willReturn(json(429, "{\"Message\":\"ErrorCode:ThrottlingException;throttled\"}")
                .withHeader("Retry-After", "2")));

        // 2.4 s: the 2 s wait fits, but would leave 0.4 s for the send, less than the 0.5 s it is given at least
        TryLaterException e = safe(assertThrows(TryLaterException.class,
                () -> scheduler.drive(sender.sendAsync(message(ID), Duration.ofMillis(2_400)))));

        assertEquals(503, e.status());
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)), "one send: a retry the budget could cut is not made");
        assertTrue(scheduler.delays().isEmpty());
        assertEquals(Duration.ofSeconds(2), e.retryAfter().orElseThrow());
    }

    /** A first send is made with whatever the registration left: skipping it would be a certain 503. */
    @Test
    void aNewDevicesFirstSendIsMadeWithWhateverItsRegistrationLeft() {
        lookupUnknown(ID);
        registerViaPoll(ID, hubA, 1);
        hubAccepts(hubA, ID);
        IotHubSender sender = sender();

        // DPS's poll takes 1 s of the 1.2 s: 0.2 s left, less than a retry would be given
        scheduler.drive(sender.sendAsync(message(ID), Duration.ofMillis(1_200)));

        assertEquals(List.of(Duration.ofSeconds(1)), scheduledWaits());
        assertEquals(1, count(hubA, "POST", eventsUrl(ID)));
    }

    /** A send after a re-provisioning is a retry: with less than its minimum left it is not made, and the link is kept. */
    @Test
    void aSendAfterAReprovisioningThatLeftTooLittleIsLeftToTheNextCall() {
        lookupAssigned(ID, hubA);
        hubAcceptsOnceThenForgets(hubA, ID);
        registerViaPoll(ID, hubB, 1);
        hubAccepts(hubB, ID);
        IotHubSender sender = sender();
        deliver(sender, message(ID)); // on hub A

        TryLaterException e = safe(assertThrows(TryLaterException.class,
                () -> scheduler.drive(sender.sendAsync(message(ID), Duration.ofMillis(1_200)))));

        assertEquals(503, e.status());
        assertEquals(0, count(hubB, "POST", eventsUrl(ID)), "0.2 s left: not sent");
        deliver(sender, message(ID));
        assertEquals(1, count(hubB, "POST", eventsUrl(ID)), "the next call delivers on the new link");
        assertEquals(1, count(dps, "PUT", registerUrl(ID)), "with no DPS round trip");
    }

    @Test
    void theMinimumAnswerTimeIsHalfASecondOrAQuarterOfAShortBudget() {
        assertEquals(Duration.ofMillis(500), IotHubSender.minAttemptTime(Duration.ofSeconds(4)));
        assertEquals(Duration.ofMillis(500), IotHubSender.minAttemptTime(Duration.ofSeconds(2)));
        assertEquals(Duration.ofMillis(150), IotHubSender.minAttemptTime(Duration.ofMillis(600)));
    }

    @Test
    void quotaExhaustedAnswers503UntilTheNextUtcDayWithoutRetrying() {
        IotHubSender sender = provisionedOn(hubA);
        hubA.stubFor(events(ID).willReturn(json(403, "{\"Message\":\"ErrorCode:IotHubQuotaExceeded;Total number of messages on IotHub exceeded\"}")));

        TryLaterException e = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message(ID))));

        assertEquals(503, e.status());
        assertEquals(Duration.ofHours(14), e.retryAfter().orElseThrow()); // 10:00 UTC -> midnight
        assertEquals(1, count(hubA, "POST", eventsUrl(ID)));
        assertEquals(0, count(dps, "PUT", registerUrl(ID)));
    }

    @Test
    void malformedMessageIsRejectedWith400() {
        IotHubSender sender = provisionedOn(hubA);
        hubA.stubFor(events(ID).willReturn(json(400, "{\"Message\":\"{\\\"errorCode\\\":400006,\\\"message\\\":\\\"bad\\\"}\"}")));
        BadInputException e = safe(assertThrows(BadInputException.class, () -> deliver(sender, message(ID))));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("400006"), e.getMessage());
        assertEquals(1, count(hubA, "POST", eventsUrl(ID)));
    }

    @Test
    void tooLargeMessageIsRejectedWith413() {
        IotHubSender sender = provisionedOn(hubA);
        hubA.stubFor(events(ID).willReturn(json(413, "{\"Message\":\"ErrorCode:MessageTooLarge;too large\"}")));
        BadInputException e = safe(assertThrows(BadInputException.class, () -> deliver(sender, message(ID))));
        assertEquals(413, e.status());
    }

    @Test
    void unexpectedStatusIsAFault() {
        IotHubSender sender = provisionedOn(hubA);
        hubA.stubFor(events(ID).willReturn(aResponse().withStatus(405)));
        BridgeFaultException e = safe(assertThrows(BridgeFaultException.class, () -> deliver(sender, message(ID))));
        assertEquals(502, e.status());
    }

    @Test
    void unauthorizedReprovisionsWithAFullRegistrationAndSendsAgain() {
        IotHubSender sender = provisionedOn(hubA);
        registerAssigned(ID, hubA);
        hubAnswersThenAccepts(json(401, "{\"Message\":\"ErrorCode:IotHubUnauthorizedAccess;Unauthorized\"}"));

        deliver(sender, message(ID));

        assertEquals(1, count(dps, "POST", lookupUrl(ID)), "re-provisioning never uses the lookup");
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)));
    }

    @Test
    void unauthorizedAgainAfterReprovisioningIsAFault() {
        IotHubSender sender = provisionedOn(hubA);
        registerAssigned(ID, hubA);
        hubA.stubFor(events(ID).willReturn(json(401, "{\"Message\":\"ErrorCode:IotHubUnauthorizedAccess;Unauthorized\"}")));
        BridgeFaultException e = safe(assertThrows(BridgeFaultException.class, () -> deliver(sender, message(ID))));
        assertEquals(502, e.status());
        assertEquals(1, count(dps, "PUT", registerUrl(ID)), "re-provisioned once only");
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)));

        // the next call, inside the device's re-provisioning window: the fresh token is refused again, no new registration
        BridgeFaultException again = safe(assertThrows(BridgeFaultException.class, () -> deliver(sender, message(ID))));
        assertEquals(502, again.status());
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals(3, count(hubA, "POST", eventsUrl(ID)));
    }

    @Test
    void disabledDeviceIsReprovisionedThenRefusedAndRemembered() {
        IotHubSender sender = provisionedOn(hubA);
        registerAssigned(ID, hubA);
        hubA.stubFor(events(ID).willReturn(json(403, "{\"Message\":\"ErrorCode:DeviceDisabled;disabled\"}")));

        DeviceRefusedException e = safe(assertThrows(DeviceRefusedException.class, () -> deliver(sender, message(ID))));
        assertEquals(403, e.status());
        assertEquals(Duration.ofSeconds(60), e.retryAfter().orElseThrow());
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)));
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));

        safe(assertThrows(DeviceRefusedException.class, () -> deliver(sender, message(ID))));
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)), "answered from memory");
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
    }

    /** A message IoT Hub cannot carry cannot be built (DeviceMessage is the one check): nothing reaches DPS or a hub. */
    @Test
    void propertiesIotHubCannotCarryAreRejectedBeforeAnyRequest() {
        provisionedOn(hubA);
        BadInputException e = safe(assertThrows(BadInputException.class, () -> new DeviceMessage(ID, Optional.empty(),
                "{}".getBytes(StandardCharsets.UTF_8), Optional.empty(), Optional.empty(), Optional.empty(), Map.of("bad name", "x"))));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("property name 'bad name'"), e.getMessage());
        assertThrows(BadInputException.class, () -> new DeviceMessage(ID, Optional.empty(), "{}".getBytes(StandardCharsets.UTF_8),
                Optional.empty(), Optional.empty(), Optional.empty(), Map.of("unit", "\u00b0C")));
        assertEquals(0, dps.getAllServeEvents().size() + hubA.getAllServeEvents().size());
    }

    @Test
    void headerRulesAreTheValidatorsEmptyValuesAndMessageIdsIncluded() {
        provisionedOn(hubA);
        assertEquals(400, safe(assertThrows(BadInputException.class, () -> new DeviceMessage(ID, Optional.empty(),
                "{}".getBytes(StandardCharsets.UTF_8), Optional.empty(), Optional.empty(), Optional.empty(), Map.of("unit", "")))).status());
        assertEquals(400, safe(assertThrows(BadInputException.class, () -> new DeviceMessage(ID, Optional.empty(),
                "{}".getBytes(StandardCharsets.UTF_8), Optional.empty(), Optional.empty(), Optional.of("ttn/4711"), Map.of()))).status());
        assertEquals(0, dps.getAllServeEvents().size() + hubA.getAllServeEvents().size());
    }

    @Test
    void hubThrottlingBeyondTheBudgetAnswers503WithItsRetryAfter() {
        IotHubSender sender = provisionedOn(hubA);
        hubA.stubFor(events(ID).willReturn(json(429, "{\"Message\":\"ErrorCode:ThrottlingException;throttled\"}")
                .withHeader("Retry-After", "2")));

        TryLaterException e = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message(ID))));

        assertEquals(503, e.status());
        assertEquals(Duration.ofSeconds(2), e.retryAfter().orElseThrow());
        // sent at 0, 2 and 4 s: three sends, though the 10 s budget had room for more
        assertEquals(3, count(hubA, "POST", eventsUrl(ID)));
        assertEquals(List.of(Duration.ofSeconds(2), Duration.ofSeconds(2)), scheduler.delays());
        assertEquals(0, count(dps, "PUT", registerUrl(ID)), "throttling never re-provisions");
    }

    @Test
    void hubThrottlingWithoutRetryAfterBacksOffAndAnswers503() {
        IotHubSender sender = provisionedOn(hubA);
        hubA.stubFor(events(ID).willReturn(json(429, "{\"Message\":\"ErrorCode:ThrottlingException;throttled\"}")));

        TryLaterException e = safe(assertThrows(TryLaterException.class, () -> deliver(sender, message(ID))));

        assertEquals(503, e.status());
        assertEquals(Duration.ofSeconds(1), e.retryAfter().orElseThrow(), "the next step's ceiling, 400 ms, in whole seconds");
        assertEquals(3, count(hubA, "POST", eventsUrl(ID)));
        assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200)), scheduler.delays());
    }
}
