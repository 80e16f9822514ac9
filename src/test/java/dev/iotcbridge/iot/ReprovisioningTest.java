package dev.iotcbridge.iot;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iotcbridge.error.BridgeFaultException;
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
}
