package dev.iotcbridge.bridge;

import dev.iotcbridge.downlink.QueuedDownlink;
import dev.iotcbridge.iot.DeviceMessage;
import java.util.List;
import java.util.Optional;

/**
 * Durable mode's intake: where a call's validated messages go instead of the hub, so that a sender that
 * never retries is answered in milliseconds and its data survives a hub outage.
 */
@FunctionalInterface
public interface MessageIntake {

    /**
     * Stores every message of one call, or none of them.
     *
     * @return the message ids, in order, by which a redelivery is recognisable downstream
     * @throws dev.iotcbridge.error.BridgeException when the call cannot be stored (413 too large, 503 queue unavailable)
     */
    List<String> enqueue(String route, List<DeviceMessage> messages);

    /**
     * Stores the messages with the downlink requests their senders offered (by position), which the delivery side
     * makes after delivering (docs/commands.md). An intake that cannot keep them stores the messages alone.
     */
    default List<String> enqueue(String route, List<DeviceMessage> messages, List<Optional<QueuedDownlink>> downlinks) {
        return enqueue(route, messages);
    }
}
