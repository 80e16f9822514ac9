package dev.iotcbridge.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The witness must find a secret wherever the bridge could put it, or the hygiene checks prove nothing. */
class SecretWitnessTest {

    private static final String GROUP_KEY = "ZmFrZS1ncm91cC1rZXktZm9yLXRoZS13aXRuZXNzLXRlc3QtMDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1u";

    @Test
    void findsKeysSignaturesAndTokensHoweverTheyAreWritten() {
        SecretWitness w = SecretWitness.detached();
        String deviceKey = SasOracle.deviceKey(GROUP_KEY, "sensor-1");
        List<String> sigs = SasOracle.signatures(deviceKey, "127.0.0.1:4000/devices/sensor-1", 1_800_000_000L, 1_800_000_002L);
        w.secret("group key", GROUP_KEY);
        w.base64Secret("device key", deviceKey);
        w.base64Secrets("signature", sigs);
        w.see("route=iotc device=sensor-1 delivered latencyMs=3");
        w.seeResponse(200, Map.of(), "{\"forwarded\":1}");
        assertEquals(List.of(), w.leaks(), "nothing secret seen yet");

        w.see("key " + GROUP_KEY);
        w.see("derived=" + deviceKey + ";");
        w.see("sig=" + URLEncoder.encode(sigs.get(1), StandardCharsets.UTF_8) + "&se=1800000001");
        w.see("{\"auth\":\"SharedAccessSignature sr=x\"}");
        w.see("unpadded " + deviceKey.substring(0, deviceKey.length() - 1));
        List<String> leaks = w.leaks();
        assertTrue(leaks.stream().anyMatch(l -> l.startsWith("group key")), leaks.toString());
        assertTrue(leaks.stream().filter(l -> l.startsWith("device key")).count() >= 2, leaks.toString());
        assertTrue(leaks.stream().anyMatch(l -> l.startsWith("signature")), leaks.toString());
        assertTrue(leaks.stream().anyMatch(l -> l.startsWith("a SAS token")), leaks.toString());
        assertTrue(leaks.stream().noneMatch(l -> l.contains(GROUP_KEY) || l.contains(deviceKey)),
                "the report masks what it found: " + leaks);
    }

    @Test
    void derivesTheReferenceDeviceKey() {
        // docs/azure-protocol.md §1.1 test vector, computed here independently of the bridge's own code
        assertEquals("Qo/tl0OMJVczFo9NZmMsiSRof5GTI3Bk1I8Pwy2UV2c=",
                SasOracle.deviceKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "sensor-001"));
    }
}
