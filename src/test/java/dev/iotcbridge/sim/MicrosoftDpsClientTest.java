package dev.iotcbridge.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.azure.sdk.iot.provisioning.device.AdditionalData;
import com.microsoft.azure.sdk.iot.provisioning.device.ProvisioningDeviceClient;
import com.microsoft.azure.sdk.iot.provisioning.device.ProvisioningDeviceClientRegistrationResult;
import com.microsoft.azure.sdk.iot.provisioning.device.ProvisioningDeviceClientStatus;
import com.microsoft.azure.sdk.iot.provisioning.device.ProvisioningDeviceClientSubstatus;
import com.microsoft.azure.sdk.iot.provisioning.device.ProvisioningDeviceClientTransportProtocol;
import com.microsoft.azure.sdk.iot.provisioning.device.plugandplay.PnpHelper;
import com.microsoft.azure.sdk.iot.provisioning.security.SecurityProviderSymmetricKey;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/**
 * A real client nobody here wrote must accept our DPS: Microsoft's provisioning-device-client 2.1.3 registers over
 * HTTPS through the 202 + poll flow (it waits at least 2 s before polling, whatever Retry-After says, so this
 * test takes a few seconds), then the device sends over HTTPS.
 */
class MicrosoftDpsClientTest {

    private static final String MODEL = "dtmi:com:example:Thermostat;1";

    /** The SDK's stock symmetric-key provider, with an SSL context that trusts the simulator's certificate. */
    private static final class TrustingSymmetricKey extends SecurityProviderSymmetricKey {
        TrustingSymmetricKey(byte[] deviceKey, String registrationId) {
            super(deviceKey, registrationId);
        }

        @Override
        public SSLContext getSSLContext() {
            return SimTls.clientContext();
        }
    }

    @Test
    void microsoftsClientRegistersAgainstTheSimulatedDps() throws Exception {
        try (Simulator sim = Simulator.start(SimulatorOptions.builder().https(true).retryAfterSeconds(2).build())) {
            String id = "ms-client-001";
            byte[] deviceKey = SecurityProviderSymmetricKey.ComputeDerivedSymmetricKey(
                    sim.groupKey().reveal().getBytes(StandardCharsets.UTF_8), id);
            ProvisioningDeviceClient client = ProvisioningDeviceClient.create(sim.dpsHost(), sim.idScope(),
                    ProvisioningDeviceClientTransportProtocol.HTTPS, new TrustingSymmetricKey(deviceKey, id));
            ProvisioningDeviceClientRegistrationResult result;
            try {
                AdditionalData data = new AdditionalData();
                data.setProvisioningPayload(PnpHelper.createDpsPayload(MODEL));
                result = client.registerDeviceSync(data, 30);
            } finally {
                client.close();
            }
            assertEquals(ProvisioningDeviceClientStatus.PROVISIONING_DEVICE_STATUS_ASSIGNED, result.getProvisioningDeviceClientStatus());
            assertEquals(sim.hub(sim.initialHubFor(id)).host(), result.getIothubUri());
            assertEquals(id, result.getDeviceId());
            assertEquals(ProvisioningDeviceClientSubstatus.INITIAL_ASSIGNMENT, result.getSubstatus());
            assertTrue(result.getProvisioningPayload().contains(MODEL), result.getProvisioningPayload());
            assertEquals(MODEL, sim.device(id).orElseThrow().modelId().orElseThrow(),
                    "the payload Microsoft's client sends as a JSON string is understood");
            assertEquals(1, sim.dps().registrationsReceived());

            SimClient https = new SimClient(sim);
            HttpResponse<String> sent = https.sendEvent(result.getIothubUri(), id, "{\"temperature\":21}", Instant.now());
            assertEquals(204, sent.statusCode(), sent.body());
            assertEquals(1, sim.messagesAcceptedFrom(id));
            assertEquals(200, https.control("GET", "devices").statusCode(), "the control API is served over HTTPS too");
            assertEquals(Map.of(), sim.counters().duplicateMessageIds());
        }
    }
}
