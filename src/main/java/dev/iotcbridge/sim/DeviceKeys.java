package dev.iotcbridge.sim;

import dev.iotcbridge.config.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Device keys derived from the group key as IoT Central does (docs/azure-protocol.md §1.1): HMAC-SHA256 keyed with the decoded
 * group key over the registration id's UTF-8 bytes. Written here independently of the bridge's own derivation,
 * so that the simulator checks it rather than repeats it.
 */
final class DeviceKeys {

    private static final int MAX_CACHED = 100_000;

    private static final ThreadLocal<Mac> MACS = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    });

    private final byte[] groupKey;
    private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

    DeviceKeys(Secret groupKey) {
        try {
            this.groupKey = Base64.getDecoder().decode(groupKey.reveal());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the simulator's group key is not base64");
        }
    }

    /** The device key's bytes, i.e. base64-decoded device key: what a SAS token is signed with. */
    byte[] keyOf(String registrationId) {
        byte[] key = cache.get(registrationId);
        if (key == null) {
            if (cache.size() >= MAX_CACHED) {
                cache.clear();
            }
            key = hmac(groupKey, registrationId.getBytes(StandardCharsets.UTF_8));
            cache.put(registrationId, key);
        }
        return key;
    }

    /** The device key as IoT Central shows it (base64). */
    String base64KeyOf(String registrationId) {
        return Base64.getEncoder().encodeToString(keyOf(registrationId));
    }

    static byte[] hmac(byte[] key, byte[] message) {
        try {
            Mac mac = MACS.get(); // a provider look-up per token cost more than the HMAC itself
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 cannot be keyed", e);
        }
    }

}
