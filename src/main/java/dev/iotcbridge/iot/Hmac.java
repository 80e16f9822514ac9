package dev.iotcbridge.iot;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 with one {@link Mac} per thread: {@code Mac.getInstance} walks the provider list and costs far more
 * than the HMAC itself, while {@code init} with a new key is cheap. Used for key derivation and token minting only,
 * both of which happen once per device (or per token lifetime), never per message.
 */
final class Hmac {

    private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JVM has no HmacSHA256", e);
        }
    });

    private Hmac() {
    }

    static byte[] sha256(byte[] key, byte[] message) {
        Mac mac = MAC.get();
        try {
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 refused a key", e);
        }
        return mac.doFinal(message);
    }
}
