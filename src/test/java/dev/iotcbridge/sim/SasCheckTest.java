package dev.iotcbridge.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.azure.sdk.iot.provisioning.security.SecurityProviderSymmetricKey;
import dev.iotcbridge.config.Secret;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The simulator's key derivation and token check against known vectors (docs/azure-protocol.md §1). */
class SasCheckTest {

    private static final String GROUP_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private static final String DEVICE_KEY = "Qo/tl0OMJVczFo9NZmMsiSRof5GTI3Bk1I8Pwy2UV2c=";
    private static final Instant BEFORE_EXPIRY = Instant.ofEpochSecond(1_699_999_999L);
    private static final Instant AT_EXPIRY = Instant.ofEpochSecond(1_700_000_000L);

    private final DeviceKeys keys = new DeviceKeys(Secret.of(GROUP_KEY));
    private final byte[] key = keys.keyOf("sensor-001");

    @Test
    void derivesTheReferenceDeviceKeyAsMicrosoftsClientDoes() throws Exception {
        assertEquals(DEVICE_KEY, keys.base64KeyOf("sensor-001"));
        String microsoft = new String(SecurityProviderSymmetricKey.ComputeDerivedSymmetricKey(
                GROUP_KEY.getBytes(StandardCharsets.UTF_8), "Sensor-001"), StandardCharsets.UTF_8);
        assertEquals(microsoft, keys.base64KeyOf("Sensor-001"), "case matters, and matches Microsoft's derivation");
    }

    @Test
    void acceptsTheReferenceDpsTokenInBothSrForms() {
        String encoded = "SharedAccessSignature sr=0ne00000001%2Fregistrations%2Fsensor-001&sig=P4P6%2B9B2oyhUNpUV6uLJY1NNsJ7LVM"
                + "%2FfwXqgUSf0RaQ%3D&se=1700000000&skn=registration";
        assertEquals(Optional.empty(), dps(encoded, BEFORE_EXPIRY));
        String raw = "SharedAccessSignature sr=0ne00000001/registrations/sensor-001&sig="
                + "e1u2qP75PP%2BPxncRPcXdCj%2BY97PeUSsodupAi0PMoBQ%3D&se=1700000000&skn=";
        assertEquals(Optional.empty(), dps(raw, BEFORE_EXPIRY), "Java SDK form: raw sr, empty skn");
        String lowerHex = encoded.replace("%2F", "%2f");
        assertTrue(dps(lowerHex, BEFORE_EXPIRY).isPresent(), "the signature covers the sr bytes as sent");
    }

    @Test
    void acceptsTheReferenceHubToken() {
        String token = "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fsensor-001&sig="
                + "pJQ7hgsoIs189NuW21cY4mvPodg%2BtV2sMzB02ba7GKY%3D&se=1700000000";
        assertEquals(Optional.empty(), SasCheck.problem(token, "myhub.azure-devices.net/devices/sensor-001",
                SasCheck.Audience.HUB, key, BEFORE_EXPIRY));
        assertEquals(Optional.of("a device token has no skn (a policy name means a policy key signed it)"),
                SasCheck.problem(token + "&skn=iothubowner", "myhub.azure-devices.net/devices/sensor-001",
                        SasCheck.Audience.HUB, key, BEFORE_EXPIRY));
    }

    @Test
    void refusesExpiredWrongResourceWrongKeyAndMalformedTokens() {
        String token = Tokens.sas("0ne00000001/registrations/sensor-001", DEVICE_KEY, 1_700_000_000L, "registration");
        assertEquals(Optional.empty(), dps(token, BEFORE_EXPIRY));
        assertEquals(Optional.of("the token has expired"), dps(token, AT_EXPIRY));
        assertEquals(Optional.of("the token's resource (sr) is not 0ne00000001/registrations/sensor-002"),
                SasCheck.problem(token, "0ne00000001/registrations/sensor-002", SasCheck.Audience.DPS,
                        keys.keyOf("sensor-002"), BEFORE_EXPIRY));
        String otherKey = Base64.getEncoder().encodeToString(new byte[32]);
        assertEquals(Optional.of("the token's signature does not match the device key"), dps(
                Tokens.sas("0ne00000001/registrations/sensor-001", otherKey, 1_700_000_000L, "registration"), BEFORE_EXPIRY));
        assertEquals(Optional.of("a device registration token has skn=registration"),
                dps(token.replace("skn=registration", "skn=provisioningserviceowner"), BEFORE_EXPIRY));
        assertEquals(Optional.of("the Authorization header is missing"), dps(null, BEFORE_EXPIRY));
        assertEquals(Optional.of("the SAS token needs sr, sig and se"), dps("SharedAccessSignature sr=x&se=1", BEFORE_EXPIRY));
        assertEquals(Optional.of("the Authorization header is not a SharedAccessSignature"), dps("Bearer abc", BEFORE_EXPIRY));
    }

    private Optional<String> dps(String token, Instant now) {
        return SasCheck.problem(token, "0ne00000001/registrations/sensor-001", SasCheck.Audience.DPS, key, now);
    }
}
