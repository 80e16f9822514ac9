package dev.iotcbridge.iot;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.error.DeviceRefusedException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The DPS answers whose meaning {@link DpsPolicy} changed, on the wire: IoT Central's 401 + 400209 for a blocked or
 * unapproved device, a 401 that is not a SAS failure, an unknown ID scope, refusals in a lookup, the poll floor.
 */
class DpsAnswersTest extends IotRig {

    private static final String ID = "sensor-001";
    private static final String BLOCKED = "{\"errorCode\":400209,\"trackingId\":\"t\",\"message\":\"Device is blocked\","
            + "\"timestampUtc\":\"2026-11-27T10:00:00Z\"}";

    @Test
    void a401With400209IsABlockedDevice403NotAKeyProblem() {
        Map<String, String> s = settings();
        s.put("IOTC_GROUP_KEY_SECONDARY", SECONDARY);
        lookupUnknown(ID);
        dps.stubFor(put(urlEqualTo(registerUrl(ID))).willReturn(json(401, BLOCKED)));
        IotHubSender sender = sender(s, o -> o);

        DeviceRefusedException e = safe(assertThrows(DeviceRefusedException.class, () -> deliver(sender, message(ID), BUDGET)));

        assertEquals(403, e.status());
        assertEquals(Duration.ofSeconds(60), e.retryAfter().orElseThrow(), "BRIDGE_DPS_REFUSAL_BACKOFF_SECONDS");
        assertTrue(e.getMessage().contains("400209") && e.getMessage().contains("blocked"), e.getMessage());
        assertFalse(e.getMessage().contains("IOTC_GROUP_KEY"), e.getMessage());
        assertEquals(1, count(dps, "PUT", registerUrl(ID)), "not asked again with the secondary key: the key is fine");
        time.advance(Duration.ofSeconds(30));
        safe(assertThrows(DeviceRefusedException.class, () -> deliver(sender, message(ID), BUDGET)));
        assertEquals(1, count(dps, "PUT", registerUrl(ID)), "remembered");
    }

    @Test
    void theCodeInTheHeaderCountsToo() {
        lookupUnknown(ID);
        dps.stubFor(put(urlEqualTo(registerUrl(ID))).willReturn(aResponse().withStatus(401).withHeader("x-ms-error-code", "400209")));

        assertEquals(403, safe(assertThrows(DeviceRefusedException.class, () -> deliver(sender(), message(ID), BUDGET))).status());
    }

    @Test
    void aDeviceDisabledInIotCentralIs403AfterItsHubAndDpsBothRefuseIt() {
        // IoT Central: hub 401 IotHubUnauthorized for a disabled device, then DPS 401 + 400209 on the re-registration
        lookupAssigned(ID, hubA);
        hubA.stubFor(events(ID).inScenario("disabled").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(204)).willSetStateTo("disabled"));
        hubA.stubFor(events(ID).inScenario("disabled").whenScenarioStateIs("disabled").willReturn(json(401,
                "{\"Message\":\"ErrorCode:IotHubUnauthorized;Unauthorized\",\"ExceptionMessage\":\"Tracking ID:x-G:1\"}")));
        dps.stubFor(put(urlEqualTo(registerUrl(ID))).willReturn(json(401, BLOCKED)));
        IotHubSender sender = sender();
        deliver(sender, message(ID), BUDGET);

        DeviceRefusedException e = safe(assertThrows(DeviceRefusedException.class, () -> deliver(sender, message(ID), BUDGET)));

        assertEquals(403, e.status());
        safe(assertThrows(DeviceRefusedException.class, () -> deliver(sender, message(ID), BUDGET)));
        assertEquals(2, count(hubA, "POST", eventsUrl(ID)), "the refusal is remembered: the hub is not asked again");
        assertEquals(1, count(dps, "PUT", registerUrl(ID)));
        assertEquals("dpsRegistrations=1 dpsLookups=1 reprovisioned=1 dpsThrottled=0 refused=1", sender.drainFleet().fields(),
                "what the operator's counter line shows: one lookup at first, then one re-provisioning DPS refused");
    }

    @Test
    void a401WithAnUndocumentedCodeIs502AndNamesNoSetting() {
        Map<String, String> s = settings();
        s.put("IOTC_GROUP_KEY_SECONDARY", SECONDARY);
        lookupUnknown(ID);
        dps.stubFor(put(urlEqualTo(registerUrl(ID))).willReturn(json(401, "{\"errorCode\":400301,\"message\":\"odd\"}")));

        BridgeFaultException e = safe(assertThrows(BridgeFaultException.class, () -> deliver(sender(s, o -> o), message(ID), BUDGET)));

        assertEquals(502, e.status());
        assertTrue(e.getMessage().contains("400301"), e.getMessage());
        assertFalse(e.getMessage().contains("IOTC_GROUP_KEY"), e.getMessage());
        assertEquals(1, count(dps, "PUT", registerUrl(ID)), "no key rotation for what is not a SAS failure");
    }

    @Test
    void anUnknownIdScopeIs500NamingIt() {
        lookupUnknown(ID);
        dps.stubFor(put(urlEqualTo(registerUrl(ID))).willReturn(json(404,
                "{\"errorCode\":404000,\"message\":\"not found\"}")));

        BridgeFaultException e = safe(assertThrows(BridgeFaultException.class, () -> deliver(sender(), message(ID), BUDGET)));

        assertEquals(500, e.status());
        assertTrue(e.getMessage().contains("IOTC_ID_SCOPE"), e.getMessage());
        assertFalse(e.getMessage().contains("IOTC_GROUP_KEY"), e.getMessage());
    }

    @Test
    void aLookupThatSaysBlockedIsRefusedWithoutARegistration() {
        for (String body : List.of(
                "{\"registrationId\":\"" + ID + "\",\"status\":\"failed\",\"errorCode\":400209,\"errorMessage\":\"blocked\"}",
                "{\"registrationId\":\"" + ID + "\",\"status\":\"disabled\"}")) {
            dps.resetAll();
            dps.stubFor(post(urlEqualTo(lookupUrl(ID))).willReturn(json(200, body)));
            registerAssigned(ID, hubA);
            hubAccepts(hubA, ID);

            assertEquals(403, safe(assertThrows(DeviceRefusedException.class, () -> deliver(sender(), message(ID), BUDGET))).status(), body);
            assertEquals(0, count(dps, "PUT", registerUrl(ID)), body);
        }
        dps.resetAll();
        dps.stubFor(post(urlEqualTo(lookupUrl(ID))).willReturn(json(401, BLOCKED)));
        registerAssigned(ID, hubA);
        assertEquals(403, safe(assertThrows(DeviceRefusedException.class, () -> deliver(sender(), message(ID), BUDGET))).status());
        assertEquals(0, count(dps, "PUT", registerUrl(ID)), "a lookup answered 401 + 400209");
    }

    @Test
    void aPollThatSaysBlockedIsRefused() {
        lookupUnknown(ID);
        String op = "5.316aac5bdc130deb.op-" + ID;
        dps.stubFor(put(urlEqualTo(registerUrl(ID))).willReturn(json(202,
                "{\"operationId\":\"" + op + "\",\"status\":\"assigning\"}").withHeader("Retry-After", "3")));
        dps.stubFor(get(urlEqualTo(pollUrl(ID, op))).willReturn(json(401, BLOCKED)));

        assertEquals(403, safe(assertThrows(DeviceRefusedException.class, () -> deliver(sender(), message(ID), BUDGET))).status());
    }

    @Test
    void pollsFollowRetryAfterButNeverASixthWithinTenSeconds() {
        // DPS allows 5 polls per 10 s per device: Retry-After 1 is followed for five polls, then the sixth waits
        lookupUnknown(ID);
        String op = "5.316aac5bdc130deb.op-" + ID;
        String assigning = "{\"operationId\":\"" + op + "\",\"status\":\"assigning\"}";
        dps.stubFor(put(urlEqualTo(registerUrl(ID))).willReturn(json(202, assigning).withHeader("Retry-After", "1")));
        for (int i = 0; i < 6; i++) {
            dps.stubFor(get(urlEqualTo(pollUrl(ID, op))).inScenario("poll").whenScenarioStateIs(i == 0 ? STARTED : "poll-" + i)
                    .willReturn(json(202, assigning).withHeader("Retry-After", i == 2 ? "0" : "1")).willSetStateTo("poll-" + (i + 1)));
        }
        dps.stubFor(get(urlEqualTo(pollUrl(ID, op))).inScenario("poll").whenScenarioStateIs("poll-6")
                .willReturn(json(200, assignedOperation(ID, hubName(hubA)))));
        hubAccepts(hubA, ID);

        deliver(sender(), message(ID), Duration.ofSeconds(30));

        // polls at 1, 2, 3 (after a Retry-After of 0: the 1 s interval, not a loop), 4, 5 s; the sixth not before 11 s
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(6), Duration.ofSeconds(1)), scheduledWaits());
        assertEquals(7, count(dps, "GET", pollUrl(ID, op)));
        assertEquals(1, count(hubA, "POST", eventsUrl(ID)));
    }

    @Test
    void callersDuringADpsBackOffAreAnsweredAtOnceWithItsEnd() {
        lookupUnknown(ID);
        dps.stubFor(put(urlEqualTo(registerUrl(ID))).inScenario("busy").whenScenarioStateIs(STARTED)
                .willReturn(json(429, "{\"errorCode\":429001}").withHeader("Retry-After", "10")).willSetStateTo("free"));
        dps.stubFor(put(urlEqualTo(registerUrl(ID))).inScenario("busy").whenScenarioStateIs("free")
                .willReturn(json(200, assignedOperation(ID, hubName(hubA)))));
        hubAccepts(hubA, ID);
        IotHubSender sender = sender();
        holdTime();

        var first = safe(assertThrows(dev.iotcbridge.error.TryLaterException.class, () -> deliver(sender, message(ID), BUDGET)));
        var joiner = safe(assertThrows(dev.iotcbridge.error.TryLaterException.class, () -> deliver(sender, message(ID), BUDGET)));

        for (var e : List.of(first, joiner)) {
            assertEquals(503, e.status());
            assertEquals(Duration.ofSeconds(13), e.retryAfter().orElseThrow(), "DPS's 10 s, then a DPS round");
            assertTrue(e.getMessage().contains("DPS asked the bridge to wait"), e.getMessage());
        }
        assertEquals(1, count(dps, "PUT", registerUrl(ID)), "the joiner did not ask DPS again");
        releaseTime();
        awaitSettled();
        assertEquals(List.of(Duration.ofSeconds(10)), scheduledWaits(), "no budget timer ran: both callers were answered at once");

        deliver(sender, message(ID), BUDGET);                  // the retry finds the device registered
        assertEquals(2, count(dps, "PUT", registerUrl(ID)));
        assertEquals(1, count(hubA, "POST", eventsUrl(ID)));
        assertEquals("dpsRegistrations=2 dpsLookups=1 reprovisioned=0 dpsThrottled=1 refused=0", sender.drainFleet().fields());
    }
}
