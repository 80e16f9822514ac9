package dev.iotcbridge.queue;

import dev.iotcbridge.downlink.QueuedDownlink;
import dev.iotcbridge.iot.DeviceMessage;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Turns a call's validated messages into queue items. Every item gets a messageId (a new UUID when the transform
 * gave none) so that a redelivery is recognisable, and the whole call is checked before anything is queued: a call
 * with one message too large for the queue is refused whole (413), never half queued.
 */
public final class QueueItems {

    private final QueueMessageCodec codec;
    private final Clock clock;
    private final Supplier<String> newIds;

    public QueueItems(Clock clock) {
        this(new QueueMessageCodec(), clock, () -> UUID.randomUUID().toString());
    }

    QueueItems(QueueMessageCodec codec, Clock clock, Supplier<String> newIds) {
        this.codec = Objects.requireNonNull(codec, "codec");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.newIds = Objects.requireNonNull(newIds, "newIds");
    }

    /**
     * @throws dev.iotcbridge.error.BadInputException 413 when a message would not fit a queue message
     */
    public IntakeBatch prepare(String route, List<DeviceMessage> messages) {
        return prepare(route, messages, List.of());
    }

    /**
     * @param downlinks the downlink each message's sender offered, by position (shorter or empty: none)
     * @throws dev.iotcbridge.error.BadInputException 413 when a message would not fit a queue message
     */
    public IntakeBatch prepare(String route, List<DeviceMessage> messages, List<Optional<QueuedDownlink>> downlinks) {
        Instant now = clock.instant();
        List<String> ids = new ArrayList<>(messages.size());
        List<String> items = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            DeviceMessage m = messages.get(i);
            Optional<QueuedDownlink> downlink = i < downlinks.size() ? downlinks.get(i) : Optional.empty();
            DeviceMessage withId = m.messageId().isPresent() ? m : new DeviceMessage(m.deviceId(), m.modelId(), m.body(),
                    m.creationTimeUtc(), m.component(), Optional.of(newIds.get()), m.properties());
            QueuedMessage item = new QueuedMessage(route, now, withId, downlink);
            items.add(codec.encode(item));
            ids.add(item.messageId());
        }
        return new IntakeBatch(ids, items);
    }
}
