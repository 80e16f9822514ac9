package dev.iotcbridge.queue;

import com.azure.storage.queue.QueueClient;
import dev.iotcbridge.downlink.QueuedDownlink;
import dev.iotcbridge.error.TryLaterException;
import dev.iotcbridge.iot.DeviceMessage;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Durable intake, for the local server and the HTTP function alike: puts a call's messages on the queue and returns
 * their ids, with no DPS or hub call on the way. (Not a Functions output binding: in synchronous mode its
 * {@code %BRIDGE_QUEUE_NAME%} would not resolve and the webhook function would not load.)
 */
public final class QueueIntake {

    private static final Logger LOG = Logger.getLogger(QueueIntake.class.getName());
    /** What a caller is told to wait when the queue itself is unreachable. */
    static final Duration QUEUE_RETRY_AFTER = Duration.ofSeconds(10);

    private final QueueClient queue;
    private final QueueItems items;

    public QueueIntake(QueueClient queue, QueueItems items) {
        this.queue = Objects.requireNonNull(queue, "queue");
        this.items = Objects.requireNonNull(items, "items");
    }

    /**
     * Queues every message of one call, in order.
     *
     * @return the messages' ids, in the same order (generated where the transform gave none)
     * @throws dev.iotcbridge.error.BadInputException 413 when a message is too large for the queue; nothing was queued
     * @throws TryLaterException 503 when the queue did not take them all; the caller should send the call again
     *                           (messages queued before the failure are then queued twice, with the same messageId
     *                           when the transform gives one)
     */
    public List<String> enqueue(String route, List<DeviceMessage> messages) {
        return enqueue(route, messages, List.of());
    }

    /** {@link #enqueue(String, List)}, each message with the downlink its sender offered (by position). */
    public List<String> enqueue(String route, List<DeviceMessage> messages, List<Optional<QueuedDownlink>> downlinks) {
        IntakeBatch batch = items.prepare(route, messages, downlinks);
        int queued = 0;
        try {
            for (String item : batch.items()) {
                queue.sendMessage(item);
                queued++;
            }
        } catch (RuntimeException e) {
            int done = queued;
            LOG.log(Level.WARNING, "route=" + route + " queue " + queue.getQueueName() + " refused a message after "
                    + done + " of " + batch.items().size(), e);
            throw new TryLaterException(503, "the bridge's queue did not take the messages (" + done + " of "
                    + batch.items().size() + " queued); send the call again", QUEUE_RETRY_AFTER, e);
        }
        return batch.messageIds();
    }
}
