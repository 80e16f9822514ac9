package dev.iotcbridge.sim;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The test's own key derivation and SAS tokens (docs/azure-protocol.md §1), written apart from the simulator's verifier. */
final class Tokens {

    private Tokens() {
    }

    static String deviceKey(String groupKeyBase64, String registrationId) {
        return Base64.getEncoder().encodeToString(
                hmac(Base64.getDecoder().decode(groupKeyBase64), registrationId.getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code sr} URL-encoded as the C SDK and the bridge send it. */
    static String sas(String resource, String deviceKeyBase64, long expirySeconds, String skn) {
        String sr = URLEncoder.encode(resource, StandardCharsets.UTF_8);
        return sasWithRawSr(sr, deviceKeyBase64, expirySeconds, skn);
    }

    /** {@code sr} sent exactly as given (Microsoft's Java DPS client sends it unencoded). */
    static String sasWithRawSr(String sr, String deviceKeyBase64, long expirySeconds, String skn) {
        byte[] sig = hmac(Base64.getDecoder().decode(deviceKeyBase64),
                (sr + "\n" + expirySeconds).getBytes(StandardCharsets.UTF_8));
        String token = "SharedAccessSignature sr=" + sr + "&sig="
                + URLEncoder.encode(Base64.getEncoder().encodeToString(sig), StandardCharsets.UTF_8) + "&se=" + expirySeconds;
        return skn == null ? token : token + "&skn=" + skn;
    }

    static String dpsToken(String idScope, String registrationId, String groupKey, Instant now) {
        return sas(idScope + "/registrations/" + registrationId, deviceKey(groupKey, registrationId),
                now.getEpochSecond() + 3600, "registration");
    }

    static String hubToken(String hubHost, String deviceId, String groupKey, Instant now) {
        return sas(hubHost + "/devices/" + deviceId, deviceKey(groupKey, deviceId), now.getEpochSecond() + 3600, null);
    }

    private static byte[] hmac(byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
