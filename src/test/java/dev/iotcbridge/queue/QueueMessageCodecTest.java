package dev.iotcbridge.queue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.iot.DeviceMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QueueMessageCodecTest {

    private static final Instant AT = Instant.parse("2026-11-27T10:00:00Z");
    private final QueueMessageCodec codec = new QueueMessageCodec();

    @Test
    void anItemIsCompactJsonWithTheBodyEmbeddedAsItIs() {
        DeviceMessage m = new DeviceMessage("a84041000181c150", Optional.of("dtmi:com:example:Sensor;1"),
                "{\"temperature\":21.50, \"big\":1e400}".getBytes(StandardCharsets.UTF_8), Optional.of("2026-11-27T09:59:59.123Z"),
                Optional.of("environment"), Optional.of("ttn-a84041000181c150-4711"), Map.of("source", "ttn"));

        String text = codec.encode(new QueuedMessage("ttn", AT, m));

        assertEquals("{\"v\":1,\"route\":\"ttn\",\"enqueuedAt\":\"2026-11-27T10:00:00.000Z\","
                + "\"messageId\":\"ttn-a84041000181c150-4711\",\"deviceId\":\"a84041000181c150\","
                + "\"modelId\":\"dtmi:com:example:Sensor;1\",\"creationTimeUtc\":\"2026-11-27T09:59:59.123Z\","
                + "\"component\":\"environment\",\"properties\":{\"source\":\"ttn\"},"
                + "\"body\":{\"temperature\":21.50, \"big\":1e400}}", text);
        QueuedMessage back = codec.decode(text);
        assertEquals("ttn", back.route());
        assertEquals(AT, back.enqueuedAt());
        assertEquals(m.deviceId(), back.deviceId());
        assertEquals(m.modelId(), back.message().modelId());
        assertEquals(m.creationTimeUtc(), back.message().creationTimeUtc());
        assertEquals(m.component(), back.message().component());
        assertEquals(m.messageId(), back.message().messageId());
        assertEquals(m.properties(), back.message().properties());
        assertArrayEquals(m.body(), back.message().body(), "the body reaches the hub byte for byte");
    }

    @Test
    void aDownlinkRequestTravelsWithItsMessageAndItsSecretStaysOutOfThePoisonQueue() throws Exception {
        DeviceMessage m = new DeviceMessage("dev-1", Optional.empty(), "{\"t\":1}".getBytes(StandardCharsets.UTF_8),
                Optional.empty(), Optional.empty(), Optional.of("id-1"), Map.of());
        com.fasterxml.jackson.databind.JsonNode offer = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"request\":{\"url\":\"https://eu1.cloud.thethings.network/api/v3/x/down/push\","
                        + "\"auth\":{\"from\":{\"header\":\"x-downlink-apikey\"}},\"body\":{\"p\":\"{{base64}}\"}},\"maxBytes\":51}");
        QueuedMessage item = new QueuedMessage("ttn", AT, m, Optional.of(new dev.iotcbridge.downlink.QueuedDownlink(
                "dev-1", offer, 10, Optional.of("NNSXS.SECRET"))));

        String text = codec.encode(item);
        QueuedMessage back = codec.decode(text);

        assertEquals(offer, back.downlink().orElseThrow().downlink());
        assertEquals(10, back.downlink().get().port());
        assertEquals(Optional.of("NNSXS.SECRET"), back.downlink().get().secret());
        assertArrayEquals(m.body(), back.message().body());
        String poison = codec.encodePoison(text, new PoisonReason(400, "refused", 1, AT));
        assertTrue(!poison.contains("NNSXS.SECRET"), poison);
        assertTrue(poison.contains("down/push"), "the rest of the item is kept for the operator: " + poison);
    }

    @ParameterizedTest
    @ValueSource(strings = {"42", "\"text \\\" with a quote\"", "[1,{\"a\":[]}]", "{\"n\":\"\u00e9t\u00e9 \ud83d\ude00\"}", "null"})
    void anyJsonBodyTravelsByteForByte(String body) {
        DeviceMessage m = new DeviceMessage("dev-1", Optional.empty(), body.getBytes(StandardCharsets.UTF_8),
                Optional.empty(), Optional.empty(), Optional.of("id-1"), Map.of());

        String text = codec.encode(new QueuedMessage("r", AT, m));

        assertTrue(text.endsWith(",\"body\":" + body + "}"), text);
        assertArrayEquals(m.body(), codec.decode(text).message().body());
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "{\"a\":1} trailing", "", "{\"open\":"})
    void aBodyThatIsNotOneJsonValueTravelsAsBase64(String body) {
        DeviceMessage m = new DeviceMessage("dev-1", Optional.empty(), body.getBytes(StandardCharsets.UTF_8),
                Optional.empty(), Optional.empty(), Optional.of("id-1"), Map.of());

        String text = codec.encode(new QueuedMessage("r", AT, m));

        assertTrue(text.contains("\"bodyBase64\":\"" + Base64.getEncoder().encodeToString(m.body()) + "\""), text);
        assertArrayEquals(m.body(), codec.decode(text).message().body());
    }

    @Test
    void aBodyThatIsNotUtf8TravelsAsBase64() {
        byte[] body = {'{', '"', 'a', '"', ':', '"', (byte) 0xff, '"', '}'};
        DeviceMessage m = new DeviceMessage("dev-1", Optional.empty(), body, Optional.empty(), Optional.empty(),
                Optional.of("id-1"), Map.of());

        assertArrayEquals(body, codec.decode(codec.encode(new QueuedMessage("r", AT, m))).message().body());
    }

    @Test
    void theLimitIsWhatFitsA64KibQueueMessageInBase64LessRoomForThePoisonReason() {
        assertEquals(47_104, QueueMessageCodec.MAX_ITEM_BYTES);
        assertTrue(Base64.getEncoder().encodeToString(new byte[QueueMessageCodec.MAX_ITEM_BYTES
                + QueueMessageCodec.POISON_HEADROOM_BYTES]).length() <= 64 * 1024);
    }

    @Test
    void anItemOneByteOverTheLimitIsRefusedWith413NamingTheDeviceAndTheLimit() {
        QueuedMessage at = item(DurableDeliveryTest.telemetryOfSize(1_000));
        int overhead = codec.encode(at).getBytes(StandardCharsets.UTF_8).length - 1_000;
        QueuedMessage fits = item(DurableDeliveryTest.telemetryOfSize(QueueMessageCodec.MAX_ITEM_BYTES - overhead));
        QueuedMessage over = item(DurableDeliveryTest.telemetryOfSize(QueueMessageCodec.MAX_ITEM_BYTES - overhead + 1));

        assertEquals(QueueMessageCodec.MAX_ITEM_BYTES, codec.encode(fits).getBytes(StandardCharsets.UTF_8).length);
        BadInputException e = assertThrows(BadInputException.class, () -> codec.encode(over));
        assertEquals(413, e.status());
        assertEquals("the message for device 'dev-1' takes 47105 bytes on the queue, above the 47104 bytes durable mode "
                + "can queue (a Storage queue message holds 64 KiB once Base64-encoded); send smaller telemetry", e.getMessage());
    }

    @Test
    void aPoisonEntryOfTheLargestItemWithTheLongestReasonFitsAQueueMessage() {
        QueuedMessage at = item(DurableDeliveryTest.telemetryOfSize(1_000));
        int overhead = codec.encode(at).getBytes(StandardCharsets.UTF_8).length - 1_000;
        String largest = codec.encode(item(DurableDeliveryTest.telemetryOfSize(QueueMessageCodec.MAX_ITEM_BYTES - overhead)));
        // control characters are escaped six-fold: the worst case for the reason's size
        PoisonReason reason = new PoisonReason(503, "\u0001".repeat(1_000), Long.MAX_VALUE, AT);

        String entry = codec.encodePoison(largest, reason);

        assertTrue(Base64.getEncoder().encodeToString(entry.getBytes(StandardCharsets.UTF_8)).length() <= 64 * 1024,
                "poison entry of " + entry.length() + " bytes");
    }

    @Test
    void aPoisonEntryCarriesTheItemAsItWasAndTheReason() {
        String item = codec.encode(item("{\"t\":1}".getBytes(StandardCharsets.UTF_8)));
        PoisonReason reason = new PoisonReason(403, "device 'dev-1' is blocked", 1, AT);

        String entry = codec.encodePoison(item, reason);

        assertEquals("{\"v\":1,\"reason\":{\"status\":403,\"error\":\"device 'dev-1' is blocked\",\"attempts\":1,"
                + "\"failedAt\":\"2026-11-27T10:00:00Z\"},\"item\":" + item + "}", entry);
        PoisonEntry back = codec.decodePoison(entry);
        assertEquals(Optional.of(reason), back.reason());
        assertEquals(item, back.itemText());
    }

    @Test
    void aForeignTextIsKeptAsTextInItsPoisonEntry() {
        PoisonReason reason = new PoisonReason(400, "not a bridge message", 1, AT);

        PoisonEntry back = codec.decodePoison(codec.encodePoison("plain \"text\"", reason));

        assertEquals("plain \"text\"", back.itemText());
        assertEquals(Optional.of(reason), back.reason());
    }

    @ParameterizedTest
    @ValueSource(strings = {" {}", "{\"v\":1}\n", "\t{ \"a\" : 1 }\r\n"})
    void anObjectWithWhitespaceAroundItIsKeptByteForByte(String item) {
        PoisonReason reason = new PoisonReason(400, "not a bridge message", 1, AT);

        PoisonEntry back = codec.decodePoison(codec.encodePoison(item, reason));

        assertEquals(item, back.itemText(), "what the operator reads in the poison queue is what was queued");
        assertEquals(Optional.of(reason), back.reason());
    }

    @Test
    void anItemTheFunctionsHostMovedBareHasNoReason() {
        String item = codec.encode(item("{\"t\":1}".getBytes(StandardCharsets.UTF_8)));

        PoisonEntry back = codec.decodePoison(item);

        assertEquals(Optional.empty(), back.reason());
        assertEquals(item, back.itemText());
    }

    @Test
    void aLongReasonIsShortenedSoTheEntryStillFits() {
        PoisonReason reason = new PoisonReason(503, "x".repeat(5_000), 3, AT);

        assertEquals(PoisonReason.MAX_ERROR_CHARS, reason.error().length());
        assertTrue(reason.error().endsWith("..."));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "[]",
        "{\"hello\":\"world\"}",
        "{\"v\":2,\"route\":\"r\",\"enqueuedAt\":\"2026-11-27T10:00:00Z\",\"messageId\":\"i\",\"deviceId\":\"d\",\"body\":{}}",
        "{\"v\":1,\"route\":\"r\",\"enqueuedAt\":\"2026-11-27T10:00:00Z\",\"messageId\":\"i\",\"deviceId\":\"d\"}",
        "{\"v\":1,\"route\":\"r\",\"enqueuedAt\":\"yesterday\",\"messageId\":\"i\",\"deviceId\":\"d\",\"body\":{}}",
        "{\"v\":1,\"route\":\"r\",\"enqueuedAt\":\"2026-11-27T10:00:00Z\",\"deviceId\":\"d\",\"body\":{}}",
        "{\"v\":1,\"route\":\"r\",\"enqueuedAt\":\"2026-11-27T10:00:00Z\",\"messageId\":\"i\",\"deviceId\":\"d\",\"properties\":{\"a\":1},\"body\":{}}",
        "{\"v\":1,\"route\":\"r\",\"enqueued",
    })
    void aTextThatIsNotABridgeItemIsA400(String text) {
        BadInputException e = assertThrows(BadInputException.class, () -> codec.decode(text));

        assertEquals(400, e.status());
        assertTrue(e.getMessage().startsWith("the queue item is not a bridge message: "), e.getMessage());
    }

    /** What the hub would refuse as a creation time is refused here, in an item written by another hand (fuzz finding 23). */
    @ParameterizedTest
    @ValueSource(strings = {".[a)", "2026-11-27T10:00:00Z", "2026-02-30T10:00:00.000Z", "yesterday"})
    void anItemWhoseCreationTimeIsNotACanonicalUtcTimeIsA400(String created) {
        String text = "{\"v\":1,\"route\":\"r\",\"enqueuedAt\":\"2026-11-27T10:00:00Z\",\"messageId\":\"i\",\"deviceId\":\"d\","
                + "\"creationTimeUtc\":\"" + created + "\",\"body\":{}}";

        BadInputException e = assertThrows(BadInputException.class, () -> codec.decode(text));

        assertEquals(400, e.status());
        assertEquals("the queue item is not a bridge message: 'creationTimeUtc' is not a UTC time such as "
                + "2026-11-27T10:00:00.000Z", e.getMessage());
    }

    @Test
    void aParsersWordsInTheRefusalAreCutAfterTheirControlCharactersAreShown() {
        // Jackson quotes the token it could not read: 200 NULs became 1,200 characters of reason (fuzz finding 24)
        BadInputException e = assertThrows(BadInputException.class, () -> codec.decode("y" + "\u0000".repeat(200)));

        assertEquals(400, e.status());
        assertTrue(e.getMessage().length() < 400 && e.getMessage().endsWith("..."), e.getMessage());
        assertTrue(e.getMessage().chars().noneMatch(Character::isISOControl), e.getMessage());
    }

    @Test
    void fieldsOfALaterMinorChangeAreIgnored() {
        String text = "{\"v\":1,\"route\":\"r\",\"priority\":{\"level\":3},\"enqueuedAt\":\"2026-11-27T10:00:00Z\","
                + "\"messageId\":\"i\",\"deviceId\":\"d\",\"body\":{\"t\":1}}";

        QueuedMessage back = codec.decode(text);

        assertEquals("i", back.messageId());
        assertEquals("{\"t\":1}", new String(back.message().body(), StandardCharsets.UTF_8));
    }

    private static QueuedMessage item(byte[] body) {
        return new QueuedMessage("ttn", AT, new DeviceMessage("dev-1", Optional.empty(), body, Optional.empty(),
                Optional.empty(), Optional.of("00000000-0000-0000-0000-000000000000"), Map.of()));
    }
}
