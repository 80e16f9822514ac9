package dev.iotcbridge.iot;

import java.time.Duration;

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

    @Override
    default void close() {
    }
}
