package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.microsoft.azure.sdk.iot.provisioning.security.SecurityProviderSymmetricKey;
import dev.iotcbridge.config.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reference §1-2 test vectors, Microsoft's derivation as an oracle, and the independent test signer. */
class SasTokenTest {

    static final String GROUP_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    static final String DEVICE_KEY = "Qo/tl0OMJVczFo9NZmMsiSRof5GTI3Bk1I8Pwy2UV2c=";

    private final GroupKey group = GroupKey.of(Secret.of(GROUP_KEY));

    /** The device key as IoT Central shows it. */
    private String base64Key(String id) {
        return Base64.getEncoder().encodeToString(group.deviceKey(id));
    }

    @Test
    void derivesTheReferenceDeviceKey() {
        assertEquals(DEVICE_KEY, base64Key("sensor-001"));
        assertArrayEquals(Base64.getDecoder().decode(DEVICE_KEY), group.deviceKey("sensor-001"));
    }

    @Test
    void agreesWithMicrosoftsComputeDerivedSymmetricKey() throws Exception {
        for (String id : List.of("sensor-001", "a84041000181c150", "plant:7.a_b-", "Sensor-1", "x",
                "0123456789abcdefghijklmnopqrstuvwxyz-._:0123456789abcdefghijklmnopqrstuvwxyz-._:0123456789abcdefghijklmnopqrstuvwxyz-._:z")) {
            byte[] microsoft = SecurityProviderSymmetricKey.ComputeDerivedSymmetricKey(
                    GROUP_KEY.getBytes(StandardCharsets.UTF_8), id);
            assertEquals(new String(microsoft, StandardCharsets.UTF_8), base64Key(id), id);
        }
    }

    @Test
    void keyDerivationIsCaseSensitive() {
        assertNotEquals(base64Key("Sensor-1"), base64Key("sensor-1"));
    }

    @Test
    void dpsTokenMatchesTheReferenceVector() {
        String token = SasToken.forDps(group.deviceKey("sensor-001"), "0ne00000001", "sensor-001", 1_700_000_000L);
        assertEquals("SharedAccessSignature sr=0ne00000001%2Fregistrations%2Fsensor-001"
                + "&sig=P4P6%2B9B2oyhUNpUV6uLJY1NNsJ7LVM%2FfwXqgUSf0RaQ%3D&se=1700000000&skn=registration", token);
        TestSas.assertSigned(token, TestSas.deviceKey(GROUP_KEY, "sensor-001"),
                "0ne00000001%2Fregistrations%2Fsensor-001", 1_700_000_000L, "registration");
    }

    @Test
    void referenceJavaSdkStyleVectorIsTheRawSrSignatureWeDoNotSend() {
        // §2.2: the Java SDK signs the unencoded sr. Our token must carry the encoded-sr signature instead.
        String raw = Base64.getEncoder().encodeToString(
                TestSas.hmac(TestSas.deviceKey(GROUP_KEY, "sensor-001"), "0ne00000001/registrations/sensor-001\n1700000000"));
        assertEquals("e1u2qP75PP+PxncRPcXdCj+Y97PeUSsodupAi0PMoBQ=", raw);
        String token = SasToken.forDps(group.deviceKey("sensor-001"), "0ne00000001", "sensor-001", 1_700_000_000L);
        assertFalse(token.contains("e1u2qP75PP"));
    }

    @Test
    void hubTokenMatchesTheReferenceVector() {
        String token = SasToken.forHub(group.deviceKey("sensor-001"), "myhub.azure-devices.net", "sensor-001", 1_700_000_000L);
        assertEquals("SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fsensor-001"
                + "&sig=pJQ7hgsoIs189NuW21cY4mvPodg%2BtV2sMzB02ba7GKY%3D&se=1700000000", token);
    }

    @Test
    void encodesIdsWithUpperCaseEscapesAndKeepsTheirCase() {
        String token = SasToken.forDps(group.deviceKey("plant:7.a_b-"), "0ne00000001", "plant:7.a_b-", 1_700_000_000L);
        TestSas.assertSigned(token, TestSas.deviceKey(GROUP_KEY, "plant:7.a_b-"),
                "0ne00000001%2Fregistrations%2Fplant%3A7.a_b-", 1_700_000_000L, "registration");
        String hub = SasToken.forHub(group.deviceKey("Sensor-1"), "127.0.0.1:8443", "Sensor-1", 1_700_000_123L);
        TestSas.assertSigned(hub, TestSas.deviceKey(GROUP_KEY, "Sensor-1"),
                "127.0.0.1%3A8443%2Fdevices%2FSensor-1", 1_700_000_123L, null);
    }

    @Test
    void keysHideThemselves() {
        assertFalse(group.toString().contains(GROUP_KEY));
    }
}
