package dev.iotcbridge.downlink;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.Optional;

/**
 * A downlink request offered with an uplink in durable mode, kept on the queue with the uplink's message so that
 * the worker can make it after delivering (docs/durable-mode.md).
 *
 * @param downlink the transform's {@code downlink} field, as it was
 * @param port     the route's default port at the time of the call (its query may have set it)
 * @param secret   the webhook header the request's auth names, resolved at intake (the call's headers are gone by
 *                 delivery); a secret from an app setting is read at delivery instead
 */
public record QueuedDownlink(String deviceId, JsonNode downlink, int port, Optional<String> secret) {

    public QueuedDownlink {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(downlink, "downlink");
        Objects.requireNonNull(secret, "secret");
    }

    @Override
    public String toString() {
        return "QueuedDownlink[" + deviceId + (secret.isPresent() ? ", secret hidden" : "") + "]";
    }
}
