package dev.iotcbridge.sim;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One device-to-cloud message a simulated hub accepted.
 *
 * @param properties      application properties ({@code iothub-app-<name>} headers), by name without the prefix
 * @param messageId       {@code iothub-messageid}
 * @param contentType     {@code iothub-contenttype}
 * @param contentEncoding {@code iothub-contentencoding}
 * @param component       {@code dt-subject}, the IoT Plug and Play component
 * @param receivedAt      when the hub accepted it (the simulator's clock)
 */
public record SimMessage(String deviceId, HubId hub, String hubHost, String body, Map<String, String> properties,
                         Optional<String> messageId, Optional<String> contentType, Optional<String> contentEncoding,
                         Optional<String> component, Instant receivedAt) {

    public SimMessage {
        properties = Map.copyOf(properties);
    }

    /** The {@code iothub-creation-time-utc} application property, which IoT Central uses as the event's time. */
    public Optional<String> creationTimeUtc() {
        return Optional.ofNullable(properties.get("iothub-creation-time-utc"));
    }
}
