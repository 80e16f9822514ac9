package dev.iotcbridge.iot;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Gets one message to the device's IoT hub: provisions the device when needed, follows the failure policy,
 * and returns only once the hub has accepted the message.
 */
public interface TelemetrySender extends AutoCloseable {

    /**
     * Sends the message, retrying within {@code budget}.
     *
     * @throws dev.iotcbridge.error.BridgeException when the message did not reach the hub; its status is what
     *         the caller should be answered (403 blocked device, 429/503 with Retry-After, 400/413 refused input, 5xx fault)
     */
    void send(DeviceMessage message, Duration budget);

    /**
     * {@link #send} without holding the caller's thread: the future completes when the hub accepted the message, or
     * exceptionally with the {@link dev.iotcbridge.error.BridgeException} {@code send} would throw. It may run on the
     * caller's thread up to the first network wait, so an event loop may call it. This default sends synchronously,
     * for senders with nothing to wait on.
     */
    default CompletableFuture<Void> sendAsync(DeviceMessage message, Duration budget) {
        try {
            send(message, budget);
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** What this sender counts of DPS and the hubs, for the counter line; none for senders that call neither. */
    default FleetCounters.Counts drainFleet() {
        return FleetCounters.Counts.NONE;
    }

    @Override
    default void close() {
    }
}
