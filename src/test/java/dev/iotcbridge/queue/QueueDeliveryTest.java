package dev.iotcbridge.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.error.DeviceRefusedException;
import dev.iotcbridge.error.TryLaterException;
import dev.iotcbridge.iot.DeviceMessage;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The delivery policy alone: what becomes of one queued message, for each way the hub can answer. */
class QueueDeliveryTest {

    private static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");
    private final FakeHub hub = new FakeHub();
    private final QueueMessageCodec codec = new QueueMessageCodec();
    private final QueueDelivery delivery = new QueueDelivery(hub, codec, 3, Duration.ofSeconds(4), Clock.fixed(NOW, ZoneOffset.UTC));
    private final String item = codec.encode(new QueuedMessage("ttn", NOW.minusSeconds(5),
            new DeviceMessage("dev-1", Optional.empty(), "{\"t\":1}".getBytes(StandardCharsets.UTF_8), Optional.empty(),
                    Optional.empty(), Optional.of("msg-1"), Map.of())));

    @Test
    void aMessageTheHubAcceptsIsDone() {
        QueueDelivery.Outcome o = delivery.deliver(item, 1);

        assertEquals("msg-1", assertInstanceOf(QueueDelivery.Delivered.class, o).item().messageId());
        assertEquals(1, hub.acceptedCount("msg-1"));
    }

    @Test
    void theOfferedDownlinkFollowsTheDeliveryAndNeverUndoesIt() throws Exception {
        java.util.List<String> after = new java.util.ArrayList<>();
        QueueDelivery withDownlinks = delivery.withDownlinks((queued, budget) -> {
            after.add(queued.messageId() + " " + hub.acceptedCount(queued.messageId()) + " " + budget.toSeconds());
            throw new IllegalStateException("a downlink step that breaks");
        });
        String offered = codec.encode(new QueuedMessage("ttn", NOW, codec.decode(item).message(), Optional.of(
                new dev.iotcbridge.downlink.QueuedDownlink("dev-1", new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree("{\"answer\":{}}"), 1, Optional.empty()))));

        assertInstanceOf(QueueDelivery.Delivered.class, withDownlinks.deliver(offered, 1));
        assertEquals(java.util.List.of("msg-1 1 4"), after, "after the hub accepted the message, with the delivery's budget");
        assertInstanceOf(QueueDelivery.Delivered.class, withDownlinks.deliver(item, 1));
        assertEquals(1, after.size(), "a message with no downlink makes none");
    }

    @Test
    void aTransientFailureComesBackUntilTheLastDelivery() {
        TryLaterException outage = new TryLaterException(503, "IoT hub unavailable", Duration.ofSeconds(2));
        hub.failWhen(m -> outage);

        assertSame(outage, assertInstanceOf(QueueDelivery.Retry.class, delivery.deliver(item, 1)).failure());
        assertSame(outage, assertInstanceOf(QueueDelivery.Retry.class, delivery.deliver(item, 2)).failure());
        QueueDelivery.Poison last = assertInstanceOf(QueueDelivery.Poison.class, delivery.deliver(item, 3));

        assertEquals(new PoisonReason(503, "gave up after 3 deliveries: IoT hub unavailable", 3, NOW), last.reason());
        assertEquals(new PoisonEntry(Optional.of(last.reason()), item), codec.decodePoison(last.entry()));
    }

    @Test
    void aBlockedDeviceIsPoisonedAtOnce() {
        hub.failWhen(m -> new DeviceRefusedException("device 'dev-1' is blocked", Duration.ofMinutes(1)));

        QueueDelivery.Poison p = assertInstanceOf(QueueDelivery.Poison.class, delivery.deliver(item, 1));

        assertEquals(new PoisonReason(403, "device 'dev-1' is blocked", 1, NOW), p.reason());
    }

    @Test
    void inputTheHubRefusesIsPoisonedAtOnce() {
        hub.failWhen(m -> new BadInputException(413, "the message is larger than the hub's 256 KB"));

        QueueDelivery.Poison p = assertInstanceOf(QueueDelivery.Poison.class, delivery.deliver(item, 1));

        assertEquals(413, p.reason().status());
        assertEquals(1, hub.attempts("msg-1"));
    }

    @Test
    void aFaultOfTheBridgeIsRetriedLikeAnOutage() {
        hub.failWhen(m -> new BridgeFaultException(502, "DPS answered nonsense", null));

        assertInstanceOf(QueueDelivery.Retry.class, delivery.deliver(item, 1));
    }

    @Test
    void aBugIsRetriedAndItsMessageNeverReachesThePoisonEntry() {
        hub.failWhen(m -> {
            throw new IllegalStateException("secret-looking internals");
        });

        assertEquals(500, assertInstanceOf(QueueDelivery.Retry.class, delivery.deliver(item, 1)).failure().status());
        QueueDelivery.Poison p = assertInstanceOf(QueueDelivery.Poison.class, delivery.deliver(item, 3));
        assertEquals("gave up after 3 deliveries: internal error delivering the message; it was not delivered", p.reason().error());
    }

    @Test
    void aMessageWhoseDeliveriesNeverFinishedIsPoisonedWithoutAnotherTry() {
        QueueDelivery.Poison p = assertInstanceOf(QueueDelivery.Poison.class, delivery.deliver(item, 4));

        assertEquals(new PoisonReason(500, "gave up: 3 deliveries did not finish", 4, NOW), p.reason());
        assertEquals(0, hub.attempts("msg-1"));
    }

    @Test
    void somethingThatIsNotABridgeItemIsPoisonedWithoutATry() {
        QueueDelivery.Poison p = assertInstanceOf(QueueDelivery.Poison.class, delivery.deliver("hello", 1));

        assertEquals(400, p.reason().status());
        assertEquals("hello", codec.decodePoison(p.entry()).itemText());
        assertEquals(0, hub.totalAttempts());
    }
}
