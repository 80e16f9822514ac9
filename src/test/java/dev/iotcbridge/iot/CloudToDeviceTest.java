package dev.iotcbridge.iot;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.iot.CloudToDevice.Action;
import dev.iotcbridge.iot.CloudToDevice.Outcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cloud-to-device requests exactly as docs/azure-protocol.md §4 describes them (receive, complete, reject,
 * abandon), signed with the device's hub token, and what each answer of the hub becomes.
 */
class CloudToDeviceTest extends IotRig {

    private static final String ID = "1a2b3c";
    private static final String RECEIVE = "/devices/" + ID + "/messages/deviceBound?api-version=" + HUB_API;
    private static final String LOCK = "c2a8a4a8-6f2b-4b7e-9d0e-5b1a6f7e8d90";
    private static final String COMPLETE = "/devices/" + ID + "/messages/deviceBound/" + LOCK + "?api-version=" + HUB_API;
    private static final String REJECT = "/devices/" + ID + "/messages/deviceBound/" + LOCK + "?reject&api-version=" + HUB_API;
    private static final String ABANDON = "/devices/" + ID + "/messages/deviceBound/" + LOCK + "/abandon?api-version=" + HUB_API;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** A sender whose link to the device on hub A is cached, as after the uplink's telemetry went through. */
    private CloudToDevice linked() {
        lookupAssigned(ID, hubA);
        hubAccepts(hubA, ID);
        IotHubSender sender = sender();
        sender.send(message(ID), BUDGET);
        return sender.cloudToDevice();
    }

    private void queued(String body) {
        hubA.stubFor(get(urlEqualTo(RECEIVE)).willReturn(aResponse().withStatus(200)
                .withHeader("ETag", "\"" + LOCK + "\"")
                .withHeader("iothub-messageid", "cmd-1")
                .withHeader("iothub-to", "/devices/" + ID + "/messages/deviceBound")
                .withHeader("iothub-expiry", "2026-11-28T10:00:00.000Z")
                .withHeader("iothub-deliverycount", "0")
                .withHeader("iothub-app-method-name", "setInterval")
                .withHeader("Content-Type", "application/octet-stream")
                .withBody(body)));
    }

    private String hubSr() {
        return hubName(hubA).replace(":", "%3A") + "%2Fdevices%2F" + ID;
    }

    private void assertDeviceToken(String authorization) {
        TestSas.assertSigned(authorization, TestSas.deviceKey(PRIMARY, ID), hubSr(), time.epochSecond() + 3600, null);
    }

    @Test
    void receivesTheNextMessageWithItsLockAndProperties() {
        CloudToDevice c2d = linked();
        queued("{\"minutes\":15}");

        CloudToDevice.Receipt receipt = c2d.receive(ID, TIMEOUT).join();

        CloudToDeviceMessage m = assertInstanceOf(CloudToDevice.Received.class, receipt).message();
        assertEquals(LOCK, m.lockToken(), "the ETag without its quotes");
        assertArrayEquals("{\"minutes\":15}".getBytes(StandardCharsets.UTF_8), m.body());
        assertEquals(Map.of("method-name", "setInterval"), m.properties());
        assertEquals("cmd-1", m.messageId().orElseThrow());
        assertEquals(0, m.deliveryCount().orElseThrow());
        hubA.verify(1, getRequestedFor(urlEqualTo(RECEIVE)));
        assertDeviceToken(requests(hubA, "GET", RECEIVE).get(0).getHeader("Authorization"));
    }

    @Test
    void anEmptyQueueIs204() {
        CloudToDevice c2d = linked();
        hubA.stubFor(get(urlEqualTo(RECEIVE)).willReturn(aResponse().withStatus(204)));
        assertInstanceOf(CloudToDevice.Empty.class, c2d.receive(ID, TIMEOUT).join());
    }

    @Test
    void completeRejectAndAbandonAreTheDocumentedRequests() {
        CloudToDevice c2d = linked();
        queued("\"0f\"");
        hubA.stubFor(delete(urlEqualTo(COMPLETE)).willReturn(aResponse().withStatus(204)));
        hubA.stubFor(delete(urlEqualTo(REJECT)).willReturn(aResponse().withStatus(204)));
        hubA.stubFor(post(urlEqualTo(ABANDON)).willReturn(aResponse().withStatus(204)));
        CloudToDeviceMessage m = ((CloudToDevice.Received) c2d.receive(ID, TIMEOUT).join()).message();

        assertTrue(c2d.settle(m, Action.COMPLETE, TIMEOUT).join().done());
        assertTrue(c2d.settle(m, Action.REJECT, TIMEOUT).join().done());
        assertTrue(c2d.settle(m, Action.ABANDON, TIMEOUT).join().done());

        hubA.verify(1, deleteRequestedFor(urlEqualTo(COMPLETE)).withHeader("If-Match", equalTo(LOCK)));
        hubA.verify(1, deleteRequestedFor(urlEqualTo(REJECT)).withHeader("If-Match", equalTo(LOCK)));
        hubA.verify(1, postRequestedFor(urlEqualTo(ABANDON)).withHeader("If-Match", equalTo(LOCK)));
        assertDeviceToken(requests(hubA, "DELETE", COMPLETE).get(0).getHeader("Authorization"));
        assertDeviceToken(requests(hubA, "DELETE", REJECT).get(0).getHeader("Authorization"));
        assertDeviceToken(requests(hubA, "POST", ABANDON).get(0).getHeader("Authorization"));
    }

    @Test
    void aLostLockIs412() {
        CloudToDevice c2d = linked();
        queued("{}");
        hubA.stubFor(delete(urlEqualTo(COMPLETE)).willReturn(json(412,
                "{\"Message\":\"ErrorCode:DeviceMessageLockLost;The lock token has expired\",\"ExceptionMessage\":\"\"}")
                .withHeader("iothub-errorcode", "DeviceMessageLockLost")));
        CloudToDeviceMessage m = ((CloudToDevice.Received) c2d.receive(ID, TIMEOUT).join()).message();

        CloudToDevice.Settlement s = c2d.settle(m, Action.COMPLETE, TIMEOUT).join();

        assertEquals(Outcome.LOCK_LOST, s.outcome());
    }

    @Test
    void aHubErrorOnReceiveIsNothingToReceive() {
        CloudToDevice c2d = linked();
        hubA.stubFor(get(urlEqualTo(RECEIVE)).willReturn(json(500,
                "{\"Message\":\"ErrorCode:ServerError;Internal error\",\"ExceptionMessage\":\"\"}")));
        CloudToDevice.Unavailable u = assertInstanceOf(CloudToDevice.Unavailable.class, c2d.receive(ID, TIMEOUT).join());
        assertEquals(500, u.status());
    }

    @Test
    void aSettlementErrorIsFailedNotDone() {
        CloudToDevice c2d = linked();
        queued("{}");
        hubA.stubFor(post(urlEqualTo(ABANDON)).willReturn(json(503, "{}")));
        CloudToDeviceMessage m = ((CloudToDevice.Received) c2d.receive(ID, TIMEOUT).join()).message();
        assertEquals(Outcome.FAILED, c2d.settle(m, Action.ABANDON, TIMEOUT).join().outcome());
    }

    @Test
    void aDeviceWithoutALinkIsNeverAskedFor() {
        IotHubSender sender = sender();
        hubA.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(204)));

        CloudToDevice.Unavailable u = assertInstanceOf(CloudToDevice.Unavailable.class,
                sender.cloudToDevice().receive(ID, TIMEOUT).join());

        assertEquals(0, u.status());
        hubA.verify(0, anyRequestedFor(anyUrl()));
        dps.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void stripsQuotesAndWeakMarkers() {
        assertEquals("abc", CloudToDevice.unquoted("\"abc\""));
        assertEquals("abc", CloudToDevice.unquoted("W/\"abc\""));
        assertEquals("abc", CloudToDevice.unquoted("abc"));
    }
}
