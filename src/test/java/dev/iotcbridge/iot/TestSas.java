package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Independent SAS code for tests: written from docs/azure-protocol.md §1 with javax.crypto, sharing nothing with the
 * production classes, so that a bug there cannot hide itself here.
 */
final class TestSas {

    private TestSas() {
    }

    static byte[] hmac(byte[] key, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Raw device key bytes for the group key (base64 text) and registration id. */
    static byte[] deviceKey(String groupKeyBase64, String registrationId) {
        return hmac(Base64.getDecoder().decode(groupKeyBase64), registrationId);
    }

    /** The token's fields in order: sr, sig, se[, skn], values still URL-encoded as sent. */
    static Map<String, String> fields(String token) {
        String prefix = "SharedAccessSignature ";
        assertTrue(token.startsWith(prefix), "token starts with '" + prefix + "'");
        Map<String, String> out = new LinkedHashMap<>();
        for (String part : token.substring(prefix.length()).split("&")) {
            int eq = part.indexOf('=');
            out.put(part.substring(0, eq), part.substring(eq + 1));
        }
        return out;
    }

    /**
     * Checks a token as DPS or IoT Hub would: sr is the expected encoded resource, se the expected expiry, skn as
     * expected (null = absent), and sig = base64(HMAC(deviceKey, sr + "\n" + se)).
     */
    static void assertSigned(String token, byte[] deviceKey, String expectedEncodedSr, long expectedSe, String expectedSkn) {
        Map<String, String> f = fields(token);
        assertEquals(expectedEncodedSr, f.get("sr"), "sr");
        assertEquals(Long.toString(expectedSe), f.get("se"), "se (seconds, not millis)");
        assertEquals(expectedSkn, f.get("skn"), "skn");
        assertEquals(expectedSkn == null ? java.util.List.of("sr", "sig", "se") : java.util.List.of("sr", "sig", "se", "skn"),
                java.util.List.copyOf(f.keySet()), "field order");
        String sig = URLDecoder.decode(f.get("sig"), StandardCharsets.UTF_8);
        String expected = Base64.getEncoder().encodeToString(hmac(deviceKey, f.get("sr") + "\n" + f.get("se")));
        assertEquals(expected, sig, "signature over the sent sr");
        assertFalse(f.get("sig").contains("+") || f.get("sig").contains("/") || f.get("sig").contains("="),
                "signature URL-encoded");
    }
}
