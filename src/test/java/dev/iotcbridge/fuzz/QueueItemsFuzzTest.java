package dev.iotcbridge.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.error.DeviceRefusedException;
import dev.iotcbridge.error.TryLaterException;
import dev.iotcbridge.iot.AzureAnswers;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.iot.TelemetrySender;
import dev.iotcbridge.queue.PoisonEntry;
import dev.iotcbridge.queue.QueueDelivery;
import dev.iotcbridge.queue.QueueMessageCodec;
import dev.iotcbridge.queue.QueuedMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Durable mode's queue items as the delivery reads them: any text (a bridge item, one damaged, one of a later version,
 * one written by hand) is delivered, kept for a retry, or poisoned with its reason, never thrown; a poison entry
 * keeps the item as it was; what reaches the sender passes IoT Hub's rules whenever it passes the sender's own check;
 * and an item the codec reads, it writes back to the same message.
 *
 * <p>Entry: {@link QueueDelivery#deliver}, the delivery both the local worker and the queue-triggered function run,
 * with a sender that answers what the fuzzer says. Generator: items the codec itself wrote for generated messages (ids
 * and properties at and past their rules), then {@link JsonMutator} edits, or any text.
 */
class QueueItemsFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final QueueMessageCodec CODEC = new QueueMessageCodec();
    private static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");
    private static final int MAX_DEQUEUE = 5;
    private static final String ID_CHARS = "aZ9-._:";
    private static final String ODD = " /#+%\u00e9\u0000\n\"\\";

    /** What the sender does with the message it is given: deliver, or fail in one of the ways the bridge fails. */
    private static final class ScriptedSender implements TelemetrySender {
        final List<DeviceMessage> given = new ArrayList<>();
        int answer;

        @Override
        public void send(DeviceMessage message, Duration budget) {
            given.add(message);
            switch (answer) {
                case 0, 1 -> {
                }
                case 2 -> throw new TryLaterException(503, "IoT Hub is busy", Duration.ofSeconds(3));
                case 3 -> throw new TryLaterException(429, "DPS throttles", Duration.ofSeconds(30));
                case 4 -> throw BadInputException.badRequest("IoT Hub refuses the message");
                case 5 -> throw new DeviceRefusedException("IoT Central refuses device", Duration.ofMinutes(1));
                case 6 -> throw new BridgeFaultException(502, "DPS answered unexpectedly", null);
                default -> throw new IllegalStateException("a bug in a sender");
            }
        }
    }

    @FuzzTest
    void deliveries(byte[] data) {
        FuzzInput in = new FuzzInput(data);
        String text = in.oneIn(8) ? in.text(200) : item(in);
        long dequeueCount = 1 + in.below(MAX_DEQUEUE + 2);
        ScriptedSender sender = new ScriptedSender();
        sender.answer = in.below(8);
        String shown = "dequeue " + dequeueCount + ", sender " + sender.answer + ", item " + Inputs.visible(text);

        Watch watch = Watch.get().secrets(Map.of(), Map.of())
                .expecting(r -> r.getThrown() instanceof IllegalStateException && r.getThrown().getMessage().equals("a bug in a sender"));
        watch.begin();
        QueueDelivery delivery = new QueueDelivery(sender, CODEC, MAX_DEQUEUE, Duration.ofSeconds(4), Clock.fixed(NOW, ZoneOffset.UTC));
        QueueDelivery.Outcome outcome = delivery.deliver(text, dequeueCount);

        for (DeviceMessage m : sender.given) {
            boolean senderTakes;
            try {
                AzureAnswers.senderCheck(m);
                senderTakes = true;
            } catch (BridgeException e) {
                senderTakes = false;
            }
            List<String> broken = HubRules.violations(m);
            if (senderTakes && !broken.isEmpty()) {
                fail("a queued message the sender would send breaks IoT Hub's rules: " + broken + "\ninput: " + shown);
            }
        }
        if (outcome instanceof QueueDelivery.Poison p) {
            watch.see(p.reason().error());
            CallerText.check("the poison reason", p.reason().error(), shown);
            PoisonEntry entry = CODEC.decodePoison(p.entry());
            assertTrue(entry.reason().isPresent(), "the poison entry carries its reason\n" + shown);
            assertEquals(p.reason(), entry.reason().get(), shown);
            assertEquals(text, entry.itemText(), "the poison entry keeps the item as it was\n" + shown);
        } else if (outcome instanceof QueueDelivery.Retry r) {
            assertTrue(r.failure().retryable() && dequeueCount < MAX_DEQUEUE, "only a transient failure before the last delivery"
                    + " comes back\n" + shown);
        } else {
            assertTrue(sender.answer <= 1 && dequeueCount <= MAX_DEQUEUE, "delivered only when the sender delivered\n" + shown);
        }
        roundTrip(text, shown);
        watch.end(shown);
    }

    /** An item the codec reads, written again, reads as the same message. */
    private static void roundTrip(String text, String shown) {
        QueuedMessage item;
        try {
            item = CODEC.decode(text);
        } catch (BadInputException e) {
            assertEquals(400, e.status(), shown);
            CallerText.check("the codec's refusal", e.getMessage(), shown);
            return;
        }
        String again;
        try {
            again = CODEC.encode(item);
        } catch (BadInputException e) {
            assertEquals(413, e.status(), "an item the codec read it refuses to write only for its size: " + e.getMessage() + "\n" + shown);
            return;
        }
        QueuedMessage back = CODEC.decode(again);
        DeviceMessage a = item.message();
        DeviceMessage b = back.message();
        assertEquals(item.route(), back.route(), shown);
        // as Instants: an item may say any year an Instant holds, and the milliseconds since 1970 of most overflow a long
        assertEquals(item.enqueuedAt().truncatedTo(ChronoUnit.MILLIS), back.enqueuedAt().truncatedTo(ChronoUnit.MILLIS), shown);
        assertEquals(a.deviceId(), b.deviceId(), shown);
        assertArrayEquals(a.body(), b.body(), "the body travels byte for byte\n" + shown);
        assertEquals(a.modelId(), b.modelId(), shown);
        assertEquals(a.creationTimeUtc(), b.creationTimeUtc(), shown);
        assertEquals(a.component(), b.component(), shown);
        assertEquals(a.messageId(), b.messageId(), shown);
        assertEquals(a.properties(), b.properties(), shown);
    }

    /** A queue item the codec writes for a generated message, edited a little. */
    private static String item(FuzzInput in) {
        Map<String, String> properties = new LinkedHashMap<>();
        int n = in.below(3);
        for (int i = 0; i < n; i++) {
            properties.put(id(in), id(in));
        }
        byte[] body = switch (in.below(4)) {
            case 0 -> "{\"t\":21.5}".getBytes(StandardCharsets.UTF_8);
            case 1 -> in.bytes(24);
            case 2 -> "[1, {\"a\": \"\\u00e9\"}]".getBytes(StandardCharsets.UTF_8);
            default -> "\"text\"".getBytes(StandardCharsets.UTF_8);
        };
        // DeviceMessage refuses what the hub cannot carry, so the codec writes a message of valid parts; the generated
        // parts (ids with a character the rules refuse, empty, too long) go into the item as another writer would put them
        DeviceMessage m = new DeviceMessage("d", in.bool() ? Optional.of("dtmi:com:example:Sensor;1") : Optional.empty(), body,
                in.bool() ? Optional.of("2026-11-27T10:00:00.000Z") : Optional.empty(), Optional.empty(),
                Optional.of("ttn-dev-1"), Map.of());
        String text;
        try {
            text = CODEC.encode(new QueuedMessage("ttn", NOW, m));
        } catch (BadInputException tooLarge) {
            return "{}";
        }
        try {
            ObjectNode tree = (ObjectNode) JSON.readTree(text);
            tree.put("deviceId", id(in));
            if (in.bool()) {
                tree.put("component", id(in));
            }
            if (in.bool()) {
                tree.put("messageId", id(in));
            }
            if (!properties.isEmpty()) {
                ObjectNode p = tree.putObject("properties");
                properties.forEach(p::put);
            }
            text = tree.toString();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        if (in.bool()) {
            try {
                JsonNode tree = JSON.readTree(text);
                text = new JsonMutator(in).mutate(tree, 1 + in.below(4)).toString();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return text;
    }

    /** An id of allowed characters, at times with one the rules refuse, empty, or longer than 128. */
    private static String id(FuzzInput in) {
        StringBuilder b = new StringBuilder(in.from(ID_CHARS, 10));
        if (in.oneIn(4)) {
            b.insert(in.below(b.length() + 1), ODD.charAt(in.below(ODD.length())));
        }
        if (in.oneIn(8)) {
            b.append("x".repeat(125));
        }
        return b.isEmpty() && in.bool() ? "d" : b.toString();
    }
}
