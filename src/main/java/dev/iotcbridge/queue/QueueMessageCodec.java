package dev.iotcbridge.queue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.downlink.QueuedDownlink;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.iot.DeviceMessage;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Queue items as compact JSON text: one {@link QueuedMessage} per item, and poison entries that carry their reason.
 *
 * <p>The text is what the Functions bindings see; the transport Base64-encodes it (the queue extension's default
 * {@code messageEncoding}, and {@link QueueConnection}'s client does the same), so the two sides read each
 * other's messages. The telemetry body is embedded as raw JSON and read back byte for byte, so what reaches the hub
 * is exactly what the transform produced; a body that is not one JSON value travels as {@code bodyBase64}.
 *
 * <pre>{"v":1,"route":"ttn","enqueuedAt":"...","messageId":"...","deviceId":"...","modelId":"...",
 *  "creationTimeUtc":"...","component":"...","properties":{...},"body":{...},
 *  "downlink":{"offer":{...},"port":1,"secret":"..."}}</pre>
 *
 * A downlink's secret (the webhook's API key for the cloud) travels in the item, as the telemetry does, and is
 * removed from a poison entry, which is kept for people to read.
 */
public final class QueueMessageCodec {

    /** A Storage queue message holds 64 KiB; Base64 turns every 3 bytes into 4 characters. */
    public static final int QUEUE_MESSAGE_BYTES = 64 * 1024;
    /** Room kept in every item for the reason a poison entry adds, so a poisoned item always fits. */
    static final int POISON_HEADROOM_BYTES = 2 * 1024;
    /** Largest item (UTF-8 JSON, before Base64) the bridge queues: 47,104 bytes. */
    public static final int MAX_ITEM_BYTES = QUEUE_MESSAGE_BYTES / 4 * 3 - POISON_HEADROOM_BYTES;

    private static final int VERSION = 1;
    /** Milliseconds, always three digits: items of the same content have the same size. */
    private static final DateTimeFormatter ENQUEUED_AT =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(1_000).build())
            .build();

    /**
     * The item's text.
     *
     * @throws BadInputException 413 when the item would not fit a queue message; nothing is queued for it
     */
    public String encode(QueuedMessage item) {
        String text = write(item);
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_ITEM_BYTES) {
            throw new BadInputException(413, "the message for device '" + item.deviceId() + "' takes " + bytes
                    + " bytes on the queue, above the " + MAX_ITEM_BYTES + " bytes durable mode can queue "
                    + "(a Storage queue message holds 64 KiB once Base64-encoded); send smaller telemetry");
        }
        return text;
    }

    /**
     * The item a text holds.
     *
     * @throws BadInputException 400 when the text is not a bridge queue item: retrying it cannot help
     */
    public QueuedMessage decode(String text) {
        try (JsonParser p = JSON.createParser(text)) {
            expect(p.nextToken() == JsonToken.START_OBJECT, "it is not a JSON object");
            Map<String, String> fields = new LinkedHashMap<>();
            Map<String, String> properties = Map.of();
            byte[] body = null;
            Optional<QueuedDownlink> downlink = Optional.empty();
            int version = -1;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "v" -> {
                        expect(value == JsonToken.VALUE_NUMBER_INT, "'v' is not a number");
                        version = p.getIntValue();
                    }
                    case "properties" -> properties = readProperties(p, value);
                    case "body" -> body = rawValue(p, text);
                    case "downlink" -> downlink = readDownlink(p, value, text);
                    case "bodyBase64" -> {
                        expect(value == JsonToken.VALUE_STRING, "'bodyBase64' is not a string");
                        body = Base64.getDecoder().decode(p.getText());
                    }
                    default -> {
                        if (value == JsonToken.VALUE_STRING) {
                            fields.put(name, p.getText());
                        } else {
                            p.skipChildren(); // a field of a later version: ignored
                        }
                    }
                }
            }
            expect(version == VERSION, version < 0 ? "it has no version 'v'" : "its version " + version
                    + " is not the " + VERSION + " this bridge reads");
            expect(body != null, "it has no body");
            String route = required(fields, "route");
            String messageId = required(fields, "messageId");
            String created = fields.get("creationTimeUtc");
            // DeviceMessage checks only that a timestamp can be a header: the hub's rule is the canonical UTC time the
            // handler writes, and an item written by another hand must not carry anything else to IoT Hub
            expect(created == null || isCreationTime(created), "'creationTimeUtc' is not a UTC time such as "
                    + "2026-11-27T10:00:00.000Z");
            DeviceMessage message = new DeviceMessage(required(fields, "deviceId"),
                    Optional.ofNullable(fields.get("modelId")), body, Optional.ofNullable(fields.get("creationTimeUtc")),
                    Optional.ofNullable(fields.get("component")), Optional.of(messageId), properties);
            return new QueuedMessage(route, Instant.parse(required(fields, "enqueuedAt")), message, downlink);
        } catch (BadInputException e) {
            throw e;
        } catch (JsonProcessingException e) {
            throw notAnItem(e.getOriginalMessage()); // without the location, which quotes the item
        } catch (IOException | DateTimeParseException | IllegalArgumentException e) {
            throw notAnItem(e.getMessage());
        }
    }

    /** A poison entry: the item as it was queued (any text, even one that is not a bridge item, less any secret) and why. */
    public String encodePoison(String queuedText, PoisonReason reason) {
        String itemText = withoutSecret(queuedText);
        StringWriter out = new StringWriter(itemText.length() + 400);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("v", VERSION);
            g.writeObjectFieldStart("reason");
            g.writeNumberField("status", reason.status());
            g.writeStringField("error", reason.error());
            g.writeNumberField("attempts", reason.attempts());
            g.writeStringField("failedAt", reason.failedAt().toString());
            g.writeEndObject();
            if (isJsonObject(itemText)) {
                g.writeFieldName("item");
                g.writeRawValue(itemText);
            } else {
                g.writeStringField("itemText", itemText);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a string cannot fail", e);
        }
        return out.toString();
    }

    /** Reads a poison queue message, whether the bridge wrote it with a reason or the Functions host moved it bare. */
    public PoisonEntry decodePoison(String text) {
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return new PoisonEntry(Optional.empty(), text);
            }
            PoisonReason reason = null;
            String item = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "reason" -> reason = readReason(p, value);
                    case "item" -> item = new String(rawValue(p, text), StandardCharsets.UTF_8);
                    case "itemText" -> item = p.getText();
                    default -> p.skipChildren();
                }
            }
            if (reason == null || item == null) {
                return new PoisonEntry(Optional.empty(), text);
            }
            return new PoisonEntry(Optional.of(reason), item);
        } catch (IOException | DateTimeParseException e) {
            return new PoisonEntry(Optional.empty(), text);
        }
    }

    private static final ObjectMapper TREES = new ObjectMapper(JSON);

    private static Optional<QueuedDownlink> readDownlink(JsonParser p, JsonToken value, String text) throws IOException {
        expect(value == JsonToken.START_OBJECT, "'downlink' is not an object");
        JsonNode node = TREES.readTree(new String(rawValue(p, text), StandardCharsets.UTF_8));
        JsonNode offer = node.get("offer");
        expect(offer != null && offer.isObject(), "'downlink' has no offer");
        JsonNode secret = node.get("secret");
        return Optional.of(new QueuedDownlink(node.path("deviceId").asText(""), offer, node.path("port").asInt(1),
                secret == null || !secret.isTextual() ? Optional.empty() : Optional.of(secret.textValue())));
    }

    /** The item without its downlink's secret: what a person may read in the poison queue. */
    static String withoutSecret(String itemText) {
        if (!itemText.contains("\"secret\"")) {
            return itemText;
        }
        try {
            JsonNode tree = TREES.readTree(itemText);
            if (tree != null && tree.path("downlink").isObject()) {
                ((ObjectNode) tree.get("downlink")).remove("secret");
                return TREES.writeValueAsString(tree);
            }
        } catch (IOException e) {
            // not a bridge item: kept as it came
        }
        return itemText;
    }

    private static String write(QueuedMessage item) {
        DeviceMessage m = item.message();
        StringWriter out = new StringWriter(m.body().length + 256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("v", VERSION);
            g.writeStringField("route", item.route());
            g.writeStringField("enqueuedAt", ENQUEUED_AT.format(item.enqueuedAt()));
            g.writeStringField("messageId", item.messageId());
            g.writeStringField("deviceId", m.deviceId());
            optional(g, "modelId", m.modelId());
            optional(g, "creationTimeUtc", m.creationTimeUtc());
            optional(g, "component", m.component());
            if (!m.properties().isEmpty()) {
                g.writeObjectFieldStart("properties");
                for (Map.Entry<String, String> e : m.properties().entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
            }
            Optional<String> json = oneJsonValue(m.body());
            if (json.isPresent()) {
                g.writeFieldName("body");
                g.writeRawValue(json.get());
            } else {
                g.writeStringField("bodyBase64", Base64.getEncoder().encodeToString(m.body()));
            }
            if (item.downlink().isPresent()) {
                QueuedDownlink d = item.downlink().get();
                g.writeObjectFieldStart("downlink");
                g.writeStringField("deviceId", d.deviceId());
                g.writeFieldName("offer");
                g.writeRawValue(d.downlink().toString());
                g.writeNumberField("port", d.port());
                if (d.secret().isPresent()) {
                    g.writeStringField("secret", d.secret().get());
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a string cannot fail", e);
        }
        return out.toString();
    }

    /** The exact text of the value the parser stands on, so the body travels byte for byte. */
    private static byte[] rawValue(JsonParser p, String text) throws IOException {
        int start = (int) p.currentTokenLocation().getCharOffset();
        if (p.currentToken().isStructStart()) {
            p.skipChildren();
        } else {
            p.finishToken(); // strings are read lazily: read to the closing quote
        }
        int end = (int) p.currentLocation().getCharOffset();
        return text.substring(start, end).getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, String> readProperties(JsonParser p, JsonToken value) throws IOException {
        expect(value == JsonToken.START_OBJECT, "'properties' is not an object");
        Map<String, String> properties = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            expect(p.nextToken() == JsonToken.VALUE_STRING, "property '" + name + "' is not a string");
            properties.put(name, p.getText());
        }
        return properties;
    }

    private static PoisonReason readReason(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            p.skipChildren();
            return null;
        }
        int status = 0;
        long attempts = 0;
        String error = "";
        Instant failedAt = Instant.EPOCH;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            switch (name) {
                case "status" -> status = p.getValueAsInt();
                case "attempts" -> attempts = p.getValueAsLong();
                case "error" -> error = p.getValueAsString("");
                case "failedAt" -> failedAt = Instant.parse(p.getValueAsString());
                default -> p.skipChildren();
            }
        }
        return new PoisonReason(status, error, attempts, failedAt);
    }

    /** The body as text when it is UTF-8 and exactly one JSON value, which can then be embedded as it is. */
    private static Optional<String> oneJsonValue(byte[] body) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() == null) {
                return Optional.empty();
            }
            p.skipChildren();
            return p.nextToken() == null ? Optional.of(text) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether the text is one JSON object and nothing else, so that embedding it raw keeps it byte for byte: the entry
     * is read back from the object's first brace to its last, and whitespace around it would be lost (fuzz finding 13).
     */
    private static final Pattern CREATION_TIME =
            Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z");

    /** The handler's canonical timestamp (bridge/MessageValidator.utc), a date and time that exists. */
    private static boolean isCreationTime(String t) {
        if (!CREATION_TIME.matcher(t).matches()) {
            return false;
        }
        try {
            Instant.parse(t);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static boolean isJsonObject(String text) {
        if (text.isEmpty() || text.charAt(0) != '{' || text.charAt(text.length() - 1) != '}') {
            return false;
        }
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            p.skipChildren();
            return p.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
    }

    private static void optional(JsonGenerator g, String name, Optional<String> value) throws IOException {
        if (value.isPresent()) {
            g.writeStringField(name, value.get());
        }
    }

    private static String required(Map<String, String> fields, String name) {
        String v = fields.get(name);
        expect(v != null, "it has no '" + name + "'");
        return v;
    }

    private static void expect(boolean condition, String problem) {
        if (!condition) {
            throw notAnItem(problem);
        }
    }

    private static BadInputException notAnItem(String problem) {
        // cut after escaping: a parser's words quote the item, and each control character in it grows to six
        String shown = visible(String.valueOf(problem));
        return BadInputException.badRequest("the queue item is not a bridge message: "
                + (shown.length() > 300 ? shown.substring(0, 300) + "..." : shown));
    }

    /** A parser's words can quote the item (Jackson's "Unrecognized token"): its control characters made visible. */
    private static String visible(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }
}
