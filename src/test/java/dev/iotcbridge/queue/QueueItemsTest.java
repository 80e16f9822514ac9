package dev.iotcbridge.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.iot.DeviceMessage;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class QueueItemsTest {

    private static final Instant NOW = Instant.parse("2026-11-27T10:00:00.250Z");
    private final AtomicInteger ids = new AtomicInteger();
    private final QueueMessageCodec codec = new QueueMessageCodec();
    private final QueueItems items = new QueueItems(codec, Clock.fixed(NOW, ZoneOffset.UTC), () -> "generated-" + ids.incrementAndGet());

    @Test
    void everyItemHasAMessageIdTheTransformsOrANewOne() {
        IntakeBatch batch = items.prepare("ttn", List.of(message("dev-1", Optional.of("ttn-dev-1-7")),
                message("dev-2", Optional.empty()), message("dev-3", Optional.empty())));

        assertEquals(List.of("ttn-dev-1-7", "generated-1", "generated-2"), batch.messageIds());
        for (int i = 0; i < 3; i++) {
            QueuedMessage back = codec.decode(batch.items().get(i));
            assertEquals(batch.messageIds().get(i), back.messageId());
            assertEquals("ttn", back.route());
            assertEquals(NOW, back.enqueuedAt());
            assertEquals("dev-" + (i + 1), back.deviceId());
        }
    }

    @Test
    void oneMessageTooLargeRefusesTheWholeCall() {
        DeviceMessage large = DeviceMessage.of("dev-2", DurableDeliveryTest.telemetryOfSize(QueueMessageCodec.MAX_ITEM_BYTES));

        BadInputException e = assertThrows(BadInputException.class,
                () -> items.prepare("ttn", List.of(message("dev-1", Optional.empty()), large)));

        assertEquals(413, e.status());
    }

    private static DeviceMessage message(String deviceId, Optional<String> messageId) {
        return new DeviceMessage(deviceId, Optional.empty(), "{\"t\":1}".getBytes(StandardCharsets.UTF_8),
                Optional.empty(), Optional.empty(), messageId, Map.of());
    }
}
