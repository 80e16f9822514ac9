package dev.iotcbridge.iot;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Shared-access-signature tokens (docs/azure-protocol.md §1.2-1.5). The resource is URL-encoded with upper-case escapes and the id is
 * never lower-cased; the signature covers exactly the encoded {@code sr} text that goes into the token, which is
 * what DPS and IoT Hub check.
 */
public final class SasToken {

    private SasToken() {
    }

    /** DPS registration token: {@code sr = {idScope}/registrations/{registrationId}}, {@code skn=registration}. */
    public static String forDps(byte[] deviceKey, String idScope, String registrationId, long expirySeconds) {
        return sign(deviceKey, idScope + "/registrations/" + registrationId, expirySeconds, "registration");
    }

    /** IoT Hub device token: {@code sr = {assignedHub}/devices/{deviceId}}, no {@code skn} (the device's own key). */
    public static String forHub(byte[] deviceKey, String assignedHub, String deviceId, long expirySeconds) {
        return sign(deviceKey, assignedHub + "/devices/" + deviceId, expirySeconds, null);
    }

    /**
     * @param expirySeconds seconds since the epoch (not milliseconds)
     * @param keyName       {@code skn}, or null to leave it out
     */
    static String sign(byte[] key, String resource, long expirySeconds, String keyName) {
        String sr = URLEncoder.encode(resource, StandardCharsets.UTF_8);
        String expiry = Long.toString(expirySeconds);
        byte[] mac = Hmac.sha256(key, (sr + '\n' + expiry).getBytes(StandardCharsets.UTF_8));
        String sig = URLEncoder.encode(Base64.getEncoder().encodeToString(mac), StandardCharsets.UTF_8);
        StringBuilder token = new StringBuilder(64 + sr.length() + sig.length())
                .append("SharedAccessSignature sr=").append(sr)
                .append("&sig=").append(sig)
                .append("&se=").append(expiry);
        if (keyName != null) {
            token.append("&skn=").append(keyName);
        }
        return token.toString();
    }
}
