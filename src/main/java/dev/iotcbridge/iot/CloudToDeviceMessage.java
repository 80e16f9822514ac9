package dev.iotcbridge.iot;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One cloud-to-device message as the hub handed it out, locked for this receiver (docs/azure-protocol.md §4). It stays
 * tied to the link (hub and token) it was received with: a settlement must go to the hub that holds the lock.
 */
public final class CloudToDeviceMessage {

    private final String deviceId;
    private final String lockToken;
    private final byte[] body;
    private final Map<String, String> properties;
    private final Optional<String> messageId;
    private final Optional<String> expiryTimeUtc;
    private final OptionalInt deliveryCount;
    final DeviceLink link;

    CloudToDeviceMessage(String deviceId, String lockToken, byte[] body, Map<String, String> properties,
                         Optional<String> messageId, Optional<String> expiryTimeUtc, OptionalInt deliveryCount, DeviceLink link) {
        this.deviceId = Objects.requireNonNull(deviceId, "deviceId");
        this.lockToken = Objects.requireNonNull(lockToken, "lockToken");
        this.body = Objects.requireNonNull(body, "body");
        this.properties = Map.copyOf(properties);
        this.messageId = messageId;
        this.expiryTimeUtc = expiryTimeUtc;
        this.deliveryCount = deliveryCount;
        this.link = link;
    }

    /** A message that no hub handed out, for tests of what consumes one. */
    public static CloudToDeviceMessage of(String deviceId, String lockToken, byte[] body, Map<String, String> properties) {
        return new CloudToDeviceMessage(deviceId, lockToken, body, properties, Optional.empty(), Optional.empty(),
                OptionalInt.empty(), null);
    }

    public String deviceId() {
        return deviceId;
    }

    /** The hub's ETag without its quotes: names the lock in the settlement's path. */
    public String lockToken() {
        return lockToken;
    }

    /** The message body as the hub sent it (IoT Central: the command's request payload). */
    public byte[] body() {
        return body.clone();
    }

    /** Application properties ({@code iothub-app-<name>} headers), by name without the prefix, e.g. {@code method-name}. */
    public Map<String, String> properties() {
        return properties;
    }

    /** {@code iothub-messageid}. */
    public Optional<String> messageId() {
        return messageId;
    }

    /** {@code iothub-expiry}, as the hub wrote it. */
    public Optional<String> expiryTimeUtc() {
        return expiryTimeUtc;
    }

    /** {@code iothub-deliverycount}, when the hub sent it. */
    public OptionalInt deliveryCount() {
        return deliveryCount;
    }

    @Override
    public String toString() {
        return "CloudToDeviceMessage[" + deviceId + " " + messageId.orElse("(no id)") + ", " + body.length + " bytes]";
    }
}
