package dev.iotcbridge.queue;

import dev.iotcbridge.downlink.QueuedDownlink;
import dev.iotcbridge.iot.DeviceMessage;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One queue item: one validated message for one device, the route it came through, and when it was queued.
 * It always has a messageId, so that a redelivery (the queue delivers at least once) is recognisable downstream.
 *
 * @param downlink the downlink request the sender offered for the device, made by the worker after the delivery
 *                 (docs/commands.md)
 */
public record QueuedMessage(String route, Instant enqueuedAt, DeviceMessage message, Optional<QueuedDownlink> downlink) {

    public QueuedMessage {
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(enqueuedAt, "enqueuedAt");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(downlink, "downlink");
        if (message.messageId().isEmpty()) {
            throw new IllegalArgumentException("a queued message needs a messageId");
        }
    }

    public QueuedMessage(String route, Instant enqueuedAt, DeviceMessage message) {
        this(route, enqueuedAt, message, Optional.empty());
    }

    public String messageId() {
        return message.messageId().orElseThrow();
    }

    public String deviceId() {
        return message.deviceId();
    }
}
