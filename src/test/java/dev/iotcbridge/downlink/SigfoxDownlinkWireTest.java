package dev.iotcbridge.downlink;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.iotcbridge.bridge.BridgeRuntime;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.bridge.WebhookResponse;
import dev.iotcbridge.config.Settings;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Sigfox BIDIR path against WireMock standing for DPS and the hub, so that every cloud-to-device request is seen
 * as sent: the receive and the completion signed with the device's hub token, the completion before the answer, a
 * lost lock answered with no downlink, a command that does not fit rejected with {@code ?reject}.
 */
class SigfoxDownlinkWireTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCOPE = "0ne00000001";
    private static final String GROUP_KEY = Base64.getEncoder().encodeToString(new byte[32]);
    private static final String ID = "1a2b3c";
    private static final String LOCK = "5fd0c3b0-0a1b-4c2d-8e3f-405162738495";
    private static final String API = "api-version=2021-04-12";
    private static final String RECEIVE = "/devices/" + ID + "/messages/deviceBound?" + API;
    private static final String COMPLETE = "/devices/" + ID + "/messages/deviceBound/" + LOCK + "?" + API;
    private static final String REJECT = "/devices/" + ID + "/messages/deviceBound/" + LOCK + "?reject&" + API;
    private static final String CALLBACK = "{\"device\": \"1A2B3C\", \"time\": 1653666733, \"data\": \"00\", \"seqNumber\": 5, \"ack\": true}";

    private WireMockServer dps;
    private WireMockServer hub;
    private BridgeRuntime runtime;

    @BeforeEach
    void start() {
        dps = new WireMockServer(options().dynamicPort());
        hub = new WireMockServer(options().dynamicPort());
        dps.start();
        hub.start();
        String hubName = "127.0.0.1:" + hub.port();
        dps.stubFor(post(urlEqualTo("/" + SCOPE + "/registrations/" + ID + "?api-version=2021-10-01")).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "application/json").withBody("{\"registrationId\":\"" + ID
                        + "\",\"assignedHub\":\"" + hubName + "\",\"deviceId\":\"" + ID + "\",\"status\":\"assigned\","
                        + "\"substatus\":\"initialAssignment\",\"createdDateTimeUtc\":\"2026-11-27T09:00:00Z\","
                        + "\"lastUpdatedDateTimeUtc\":\"2026-11-27T09:00:00Z\",\"etag\":\"IjAwMDAi\"}")));
        hub.stubFor(post(urlEqualTo("/devices/" + ID + "/messages/events?" + API)).willReturn(aResponse().withStatus(204)));
        runtime = BridgeRuntime.start(Settings.from(Map.of("IOTC_ID_SCOPE", SCOPE, "IOTC_GROUP_KEY", GROUP_KEY,
                "IOTC_DPS_HOST", "127.0.0.1:" + dps.port(), "BRIDGE_ALLOW_HTTP", "true",
                "BRIDGE_DOWNLINK_MIN_INTERVAL_SECONDS", "0")), false);
    }

    @AfterEach
    void stop() {
        runtime.close();
        dps.stop();
        hub.stop();
    }

    private WebhookResponse callback() {
        return runtime.handler().handle(new WebhookRequest("sigfox", "", Map.of(), Map.of("content-type", "application/json"),
                CALLBACK.getBytes(StandardCharsets.UTF_8)));
    }

    private void queued(String body) {
        hub.stubFor(get(urlEqualTo(RECEIVE)).willReturn(aResponse().withStatus(200)
                .withHeader("ETag", "\"" + LOCK + "\"").withHeader("iothub-messageid", "m-1")
                .withHeader("iothub-app-method-name", "setInterval").withBody(body)));
    }

    @Test
    void receivesCompletesThenAnswers() throws Exception {
        queued("{\"payload_hex\": \"0102030405060708\"}");
        hub.stubFor(delete(urlEqualTo(COMPLETE)).willReturn(aResponse().withStatus(204)));

        WebhookResponse r = callback();

        assertEquals(200, r.status());
        assertEquals(JSON.readTree("{\"1A2B3C\":{\"downlinkData\":\"0102030405060708\"}}"), JSON.readTree(r.body()));
        String token = "SharedAccessSignature sr=127.0.0.1%3A" + hub.port() + "%2Fdevices%2F" + ID + "&sig=.+&se=[0-9]+";
        hub.verify(1, getRequestedFor(urlEqualTo(RECEIVE)).withHeader("Authorization", matching(token)));
        hub.verify(1, deleteRequestedFor(urlEqualTo(COMPLETE)).withHeader("Authorization", matching(token))
                .withHeader("If-Match", equalTo(LOCK)));
    }

    @Test
    void aLostLockAnswersNoDownlink() {
        queued("\"0102030405060708\"");
        hub.stubFor(delete(urlEqualTo(COMPLETE)).willReturn(aResponse().withStatus(412)
                .withHeader("iothub-errorcode", "DeviceMessageLockLost")
                .withBody("{\"Message\":\"ErrorCode:DeviceMessageLockLost;lock lost\",\"ExceptionMessage\":\"\"}")));

        WebhookResponse r = callback();

        assertEquals(204, r.status(), "the command was not completed: it is not sent, so it is never sent twice");
    }

    @Test
    void aCommandThatDoesNotFitIsRejected() {
        queued("{\"payload_hex\": \"01\"}");
        hub.stubFor(delete(urlEqualTo(REJECT)).willReturn(aResponse().withStatus(204)));

        WebhookResponse r = callback();

        assertEquals(204, r.status());
        hub.verify(1, deleteRequestedFor(urlEqualTo(REJECT)));
        hub.verify(0, deleteRequestedFor(urlEqualTo(COMPLETE)));
    }

    @Test
    void aHubThatCannotReceiveLeavesTheUplinkAsItWas() {
        hub.stubFor(get(urlEqualTo(RECEIVE)).willReturn(aResponse().withStatus(429).withBody("{}")));

        assertEquals(204, callback().status());
        hub.verify(1, postRequestedFor(urlEqualTo("/devices/" + ID + "/messages/events?" + API)));
    }
}
