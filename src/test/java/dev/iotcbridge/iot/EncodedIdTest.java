package dev.iotcbridge.iot;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Device ids with ':' (allowed by DPS and IoT Hub, docs/azure-protocol.md §2.2 and §3.2) travel percent-encoded in
 * every path, as §3.1 ("{urlencoded deviceId}") and §1.3 say and as the SDKs send them: {@code plant:7.a_b-} is {@code plant%3A7.a_b-}.
 */
class EncodedIdTest extends IotRig {

    private static final String ID = "plant:7.a_b-";
    private static final String ENCODED = "plant%3A7.a_b-";

    @Test
    void hubPathCarriesTheEncodedId() {
        lookupAssignedAt(ENCODED, hubA);
        hubA.stubFor(post(urlEqualTo("/devices/" + ENCODED + "/messages/events?api-version=" + HUB_API))
                .willReturn(aResponse().withStatus(204)));

        sender().send(message(ID), BUDGET);

        assertEquals(List.of("/devices/" + ENCODED + "/messages/events?api-version=" + HUB_API),
                hubA.getAllServeEvents().stream().map(e -> e.getRequest().getUrl()).toList());
    }

    @Test
    void dpsRegisterPollAndLookupPathsCarryTheEncodedId() {
        String scopePath = "/" + SCOPE + "/registrations/" + ENCODED;
        String op = "5.316aac5bdc130deb.op-1";
        dps.stubFor(post(urlEqualTo(scopePath + "?api-version=" + DPS_API)).willReturn(json(404, "{\"errorCode\":404201}")));
        dps.stubFor(put(urlEqualTo(scopePath + "/register?api-version=" + DPS_API)).willReturn(json(202,
                "{\"operationId\":\"" + op + "\",\"status\":\"assigning\"}").withHeader("Retry-After", "3")));
        dps.stubFor(get(urlEqualTo(scopePath + "/operations/" + op + "?api-version=" + DPS_API)).willReturn(json(200,
                "{\"operationId\":\"" + op + "\",\"status\":\"assigned\",\"registrationState\":"
                        + registrationState(ID, hubName(hubA)) + "}")));
        hubA.stubFor(post(urlEqualTo("/devices/" + ENCODED + "/messages/events?api-version=" + HUB_API))
                .willReturn(aResponse().withStatus(204)));

        sender().send(message(ID), BUDGET);

        assertEquals(List.of(
                        "POST " + scopePath + "?api-version=" + DPS_API,
                        "PUT " + scopePath + "/register?api-version=" + DPS_API,
                        "GET " + scopePath + "/operations/" + op + "?api-version=" + DPS_API),
                oldestFirst(dps.getAllServeEvents().stream()
                        .map(e -> e.getRequest().getMethod().getName() + " " + e.getRequest().getUrl())
                        .toList()));
        assertEquals(1, count(hubA, "POST", "/devices/" + ENCODED + "/messages/events?api-version=" + HUB_API));
    }

    /** WireMock lists the newest request first. */
    private static List<String> oldestFirst(List<String> newestFirst) {
        List<String> l = new java.util.ArrayList<>(newestFirst);
        java.util.Collections.reverse(l);
        return l;
    }

    private static void lookupAssignedAt(String encodedId, com.github.tomakehurst.wiremock.WireMockServer hub) {
        dps.stubFor(post(urlEqualTo("/" + SCOPE + "/registrations/" + encodedId + "?api-version=" + DPS_API))
                .willReturn(json(200, registrationState(ID, hubName(hub)))));
    }
}
