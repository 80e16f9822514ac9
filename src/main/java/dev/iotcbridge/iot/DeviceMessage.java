package dev.iotcbridge.iot;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One telemetry event for one device, ready for the hub: what the bridge validated from a transform's
 * output. Knows nothing of webhooks.
 *
 * @param deviceId        registration id = hub device id; already validated against the DPS rules
 * @param modelId         DTMI announced in the DPS registration payload, if known
 * @param body            the telemetry JSON, UTF-8: the hub message body as sent
 * @param creationTimeUtc ISO-8601 UTC with Z, sent as {@code iothub-app-iothub-creation-time-utc}
 * @param component       IoT Plug and Play component, sent as {@code dt-subject}
 * @param messageId       stable id so retried webhooks can be de-duplicated, sent as {@code iothub-messageid}
 * @param properties      application properties, sent as {@code iothub-app-{name}}; names and values already
 *                        checked against the HTTP header characters of the reference (§4.2)
 */
public record DeviceMessage(
        String deviceId,
        Optional<String> modelId,
        byte[] body,
        Optional<String> creationTimeUtc,
        Optional<String> component,
        Optional<String> messageId,
        Map<String, String> properties) {

    public DeviceMessage {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(body, "body");
        properties = Map.copyOf(properties);
    }

    /** A message with only a device and a body, for tests and simple callers. */
    public static DeviceMessage of(String deviceId, byte[] body) {
        return new DeviceMessage(deviceId, Optional.empty(), body, Optional.empty(), Optional.empty(), Optional.empty(), Map.of());
    }
}
