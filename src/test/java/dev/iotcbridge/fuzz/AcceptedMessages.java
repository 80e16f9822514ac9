package dev.iotcbridge.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.iot.AzureAnswers;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.queue.IntakeBatch;
import dev.iotcbridge.queue.QueueItems;
import dev.iotcbridge.queue.QueueMessageCodec;
import dev.iotcbridge.queue.QueuedMessage;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/**
 * What a message the handler accepted must survive downstream, so that it never fails there without the caller having
 * been told: IoT Hub's rules ({@link HubRules}), the sender's own check before its first attempt, and durable mode's
 * queue, which must give back exactly what it was given (or refuse it at once with a 413).
 */
final class AcceptedMessages {

    private static final QueueItems QUEUE = new QueueItems(Clock.fixed(Instant.parse("2026-11-27T10:00:00Z"), ZoneOffset.UTC));
    private static final QueueMessageCodec CODEC = new QueueMessageCodec();

    private AcceptedMessages() {
    }

    static void check(String route, List<DeviceMessage> messages, String input) {
        for (DeviceMessage m : messages) {
            List<String> broken = HubRules.violations(m);
            if (!broken.isEmpty()) {
                fail("an accepted message breaks IoT Hub's rules: " + broken + "\ninput: " + input);
            }
            try {
                AzureAnswers.senderCheck(m);
            } catch (BridgeException e) {
                fail("the sender refuses a message the handler accepted: " + e.getMessage() + "\ninput: " + input);
            }
        }
        IntakeBatch batch;
        try {
            batch = QUEUE.prepare(route, messages);
        } catch (BadInputException e) {
            assertEquals(413, e.status(), "the queue refuses a message only for its size: " + e.getMessage() + "\ninput: " + input);
            return;
        }
        for (int i = 0; i < messages.size(); i++) {
            DeviceMessage sent = messages.get(i);
            QueuedMessage back = CODEC.decode(batch.items().get(i));
            DeviceMessage got = back.message();
            String where = "the queue changed message " + (i + 1) + " of route " + route + "\ninput: " + input;
            assertEquals(route, back.route(), where);
            assertEquals(sent.deviceId(), got.deviceId(), where);
            assertArrayEquals(sent.body(), got.body(), where);
            assertEquals(sent.modelId(), got.modelId(), where);
            assertEquals(sent.creationTimeUtc(), got.creationTimeUtc(), where);
            assertEquals(sent.component(), got.component(), where);
            assertEquals(sent.properties(), got.properties(), where);
            assertEquals(batch.messageIds().get(i), got.messageId().orElseThrow(), where);
            sent.messageId().ifPresent(id -> assertEquals(id, got.messageId().get(), where));
        }
    }
}
