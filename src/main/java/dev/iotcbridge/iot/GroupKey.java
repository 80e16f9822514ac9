package dev.iotcbridge.iot;

import dev.iotcbridge.config.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * An IoT Central enrollment-group key (SAS-IoT-Devices), decoded once. Each device's key is
 * {@code HMAC-SHA256(key = base64decode(groupKey), msg = UTF-8(registrationId))} (docs/azure-protocol.md §1.1). The device key is
 * kept as its 32 raw bytes: that is what signs its tokens, so it is never base64-encoded and decoded again.
 */
public final class GroupKey implements DeviceKeySource {

    private final byte[] key;

    private GroupKey(byte[] key) {
        this.key = key;
    }

    public static GroupKey of(Secret base64Key) {
        return new GroupKey(Base64.getDecoder().decode(base64Key.reveal()));
    }

    /** The raw device key: HMAC over the exact id bytes, so case matters (callers keep one spelling per device). */
    @Override
    public byte[] deviceKey(String registrationId) {
        return Hmac.sha256(key, registrationId.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "GroupKey[hidden]";
    }
}
