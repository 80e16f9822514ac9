package dev.iotcbridge.queue;

import dev.iotcbridge.iot.DeviceMessage;
import java.time.Instant;
import java.util.Objects;

/**
 * One queue item: one validated message for one device, the route it came through, and when it was queued.
 * It always has a messageId, so that a redelivery (the queue delivers at least once) is recognisable downstream.
 */
public record QueuedMessage(String route, Instant enqueuedAt, DeviceMessage message) {

    public QueuedMessage {
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(enqueuedAt, "enqueuedAt");
        Objects.requireNonNull(message, "message");
        if (message.messageId().isEmpty()) {
            throw new IllegalArgumentException("a queued message needs a messageId");
        }
    }

    public String messageId() {
        return message.messageId().orElseThrow();
    }

    public String deviceId() {
        return message.deviceId();
    }
}
