package dev.iotcbridge.bridge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.iot.DeviceMessage;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Checks what a transform produced against the canonical message and turns it into {@link DeviceMessage}s: the JSON
 * shape and types, the device id, telemetry, size, model id and timestamp here; what becomes a header of the hub's
 * request is checked by {@link DeviceMessage} itself, once for every sender, and its refusal gets the message's
 * position here. Ids and names are validated, never repaired: rewriting an id could merge two devices. Every
 * rejection names the message, the field and the rule.
 */
final class MessageValidator {

    /** DPS registration id (docs/azure-protocol.md, section 2): it becomes the hub device id, so its rules are the stricter ones. */
    private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9._:-]*[A-Za-z0-9-]");
    private static final int DEVICE_ID_MAX = 128;
    /** DTDL v2/v3 model id: dtmi:segment(:segment)*;version (v3 allows a minor version). */
    private static final Pattern DTMI = Pattern.compile(
            "dtmi:[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?(?::[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?)*;[1-9][0-9]{0,8}(?:\\.[0-9]{1,6})?");
    private static final int DTMI_MAX = 2048;
    /** How many valid model ids are remembered; past that, new ones are matched every time (bounded memory). */
    private static final int KNOWN_MODELS = 1_024;
    private final Set<String> knownModels = ConcurrentHashMap.newKeySet();
    /**
     * IoT Hub's device-to-cloud message limit counts the body and the properties, system ones included
     * (docs/azure-protocol.md, section 3).
     */
    static final int HUB_MESSAGE_LIMIT = 256 * 1024;
    /** The system properties every message is sent with: content type application/json, content encoding utf-8. */
    private static final int SYSTEM_PROPERTIES_BYTES = "application/json".length() + "utf-8".length();
    /** The application property the timestamp travels as. */
    private static final String CREATION_TIME = "iothub-creation-time-utc";
    private static final Set<String> FIELDS = Set.of(
            "deviceId", "telemetry", "timestamp", "modelId", "component", "properties", "messageId", "downlink");
    private static final DateTimeFormatter UTC_MILLIS = new DateTimeFormatterBuilder()
            .appendPattern("uuuu-MM-dd'T'HH:mm:ss")
            .appendFraction(ChronoField.MILLI_OF_SECOND, 3, 3, true)
            .appendLiteral('Z')
            .toFormatter()
            .withZone(ZoneOffset.UTC);

    private final ObjectMapper mapper = JsonMapper.builder().build();
    private final Optional<String> defaultModelId;
    private final int maxDepth;

    /** @param maxDepth deepest telemetry a transform may output, the same limit as for bodies (BRIDGE_MAX_JSON_DEPTH) */
    MessageValidator(Optional<String> defaultModelId, int maxDepth) {
        this.defaultModelId = defaultModelId;
        this.maxDepth = maxDepth;
    }

    /** Flattens the transform's outputs (objects or arrays of objects) and validates each message. */
    List<DeviceMessage> validate(String route, List<JsonNode> outputs, int maxMessages) {
        List<JsonNode> candidates = new ArrayList<>(outputs.size());
        for (JsonNode output : outputs) {
            if (output.isNull()) {
                // usually `.field` on a body that lacks it: acknowledging it would drop the data without a word
                throw BadInputException.badRequest("transform " + route + " output null; a transform outputs message objects, "
                        + "arrays of them, or `empty` to acknowledge an event without sending anything");
            }
            if (output.isArray()) {
                output.forEach(candidates::add);
            } else {
                candidates.add(output);
            }
        }
        if (candidates.size() > maxMessages) {
            throw BadInputException.badRequest("transform " + route + " produced " + candidates.size()
                    + " messages; one call may produce at most " + maxMessages);
        }
        List<DeviceMessage> messages = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i++) {
            messages.add(message(route, i, candidates.size(), candidates.get(i)));
        }
        return messages;
    }

    /**
     * The {@code downlink} fields of the outputs {@link #validate} accepted, in the order of its messages (null where a
     * message has none); an empty list, allocating nothing, when no message has one. They are read by the downlink
     * step, which never fails the call for them (docs/commands.md).
     */
    static List<JsonNode> downlinks(List<JsonNode> outputs) {
        List<JsonNode> found = null;
        int index = 0;
        for (int i = 0; i < outputs.size(); i++) { // indexed: no iterator on the hot path
            JsonNode output = outputs.get(i);
            if (output.isArray()) {
                for (int j = 0; j < output.size(); j++) {
                    found = note(found, index++, output.get(j));
                }
            } else {
                found = note(found, index++, output);
            }
        }
        return found == null ? List.of() : found;
    }

    private static List<JsonNode> note(List<JsonNode> found, int index, JsonNode message) {
        JsonNode d = message.get("downlink");
        if (d == null || d.isNull()) {
            return found;
        }
        List<JsonNode> list = found != null ? found : new ArrayList<>();
        while (list.size() < index) {
            list.add(null);
        }
        list.add(d);
        return list;
    }

    private DeviceMessage message(String route, int index, int count, JsonNode node) {
        String position = count == 1 ? "transform " + route + " output" : "transform " + route + " message " + (index + 1);
        if (!node.isObject()) {
            throw BadInputException.badRequest(position + " is " + article(node.getNodeType())
                    + "; a transform outputs message objects, arrays of them, or nothing");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw BadInputException.badRequest(position + " has an unknown field '" + abbreviate(name)
                        + "'; a message has deviceId, telemetry, timestamp, modelId, component, properties, messageId, downlink");
            }
        }
        String deviceId = deviceId(position, node.get("deviceId"));
        String where = position + " (device " + deviceId + ")";
        JsonNode telemetry = node.get("telemetry");
        if (telemetry == null || telemetry.isNull()) {
            throw BadInputException.badRequest(where + ": telemetry is missing; it must be a JSON object");
        }
        if (!telemetry.isObject()) {
            throw BadInputException.badRequest(where + ": telemetry must be a JSON object, not "
                    + article(telemetry.getNodeType()));
        }
        checkValues(where, "telemetry", telemetry, 1);
        Map<String, String> properties = properties(where, node.get("properties"));
        byte[] body = serialize(telemetry);
        Optional<String> modelId = optionalText(where, "modelId", node.get("modelId"));
        modelId.ifPresent(m -> {
            if (!knownModels.contains(m) && (m.length() > DTMI_MAX || !DTMI.matcher(m).matches())) {
                throw BadInputException.badRequest(where + ": modelId '" + abbreviate(m)
                        + "' is not a DTMI (dtmi:<segment>[:<segment>...];<version>, e.g. dtmi:com:example:Sensor;1)");
            }
        });
        if (modelId.isPresent() && knownModels.size() < KNOWN_MODELS) {
            knownModels.add(modelId.get()); // a fleet has a few models: their DTMIs are matched once, not per message
        }
        Optional<String> component = optionalText(where, "component", node.get("component"));
        Optional<String> messageId = optionalText(where, "messageId", node.get("messageId"));
        Optional<String> timestamp = optionalText(where, "timestamp", node.get("timestamp")).map(t -> utc(where, t));
        // IoT Hub counts the system properties too: a message whose body and properties fit, with a message id, would
        // be accepted here and refused by the hub (names and values are ASCII tokens, so a char is a byte)
        long size = body.length + SYSTEM_PROPERTIES_BYTES
                + properties.entrySet().stream().mapToLong(e -> e.getKey().length() + e.getValue().length()).sum()
                + messageId.map(String::length).orElse(0) + component.map(String::length).orElse(0)
                + timestamp.map(t -> CREATION_TIME.length() + t.length()).orElse(0);
        if (size > HUB_MESSAGE_LIMIT) {
            throw new BadInputException(413, where + ": the message is " + size + " bytes with its properties; IoT Hub "
                    + "accepts at most " + HUB_MESSAGE_LIMIT + " bytes per message");
        }
        try {
            // the message checks what becomes a header (properties, component, message id): once, for every sender
            return new DeviceMessage(deviceId, modelId.or(() -> defaultModelId), body, timestamp, component, messageId, properties);
        } catch (BadInputException e) {
            throw new BadInputException(e.status(), where + ": " + e.getMessage());
        }
    }

    private static String deviceId(String where, JsonNode node) {
        if (node == null || node.isNull()) {
            throw BadInputException.badRequest(where + ": deviceId is missing");
        }
        if (!node.isTextual()) {
            throw BadInputException.badRequest(where + ": deviceId must be a string, not " + article(node.getNodeType()));
        }
        String id = node.textValue();
        if (id.isEmpty() || id.length() > DEVICE_ID_MAX || !DEVICE_ID.matcher(id).matches()) {
            throw BadInputException.badRequest(where + ": deviceId '" + abbreviate(id) + "' is not a valid device id: "
                    + "1 to 128 letters, digits, '-', '.', '_' or ':', ending in a letter, digit or '-'");
        }
        return id;
    }

    /** Normalises any ISO-8601 instant with an offset to UTC 'Z' at millisecond precision, truncated. */
    static String utc(String where, String text) {
        if (isUtcMillis(text)) {
            return text;
        }
        Instant instant;
        try {
            instant = OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeException e) {
            throw BadInputException.badRequest(where + ": timestamp '" + abbreviate(text)
                    + "' is not an ISO-8601 date-time with a zone, e.g. 2026-11-27T10:00:00Z");
        }
        if (instant.isBefore(FIRST_INSTANT) || instant.isAfter(LAST_INSTANT)) {
            // an offset can move a four-digit year out of 0000..9999 ("0000-01-01T00:00:00+01:00" is 1 BC in UTC), and
            // the format would then write "-0001-..." or "+10000-...", which no creation time can be
            throw BadInputException.badRequest(where + ": timestamp '" + abbreviate(text)
                    + "' is outside the years 0000..9999 once in UTC");
        }
        return UTC_MILLIS.format(instant.truncatedTo(ChronoUnit.MILLIS));
    }

    /** The instants a four-digit UTC timestamp can hold: 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999..Z. */
    private static final Instant FIRST_INSTANT = Instant.parse("0000-01-01T00:00:00Z");
    private static final Instant LAST_INSTANT = Instant.parse("9999-12-31T23:59:59.999999999Z");

    /**
     * Whether the text already is what {@link #utc} makes, {@code 2026-11-27T10:00:00.123Z}, a valid date and time.
     * Most clouds send exactly that; checking it by hand costs a fraction of a parse and a format, the
     * two largest costs of validating a message.
     */
    static boolean isUtcMillis(String t) {
        if (t.length() != 24 || t.charAt(4) != '-' || t.charAt(7) != '-' || t.charAt(10) != 'T' || t.charAt(13) != ':'
                || t.charAt(16) != ':' || t.charAt(19) != '.' || t.charAt(23) != 'Z') {
            return false;
        }
        for (int i : DIGITS_AT) {
            char c = t.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        try {
            LocalDateTime.of(number(t, 0, 4), number(t, 5, 7), number(t, 8, 10), number(t, 11, 13), number(t, 14, 16),
                    number(t, 17, 19));
            return true;
        } catch (DateTimeException e) {
            return false; // e.g. February 30th: the parser names the problem
        }
    }

    private static final int[] DIGITS_AT = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22};

    private static int number(String t, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            n = n * 10 + (t.charAt(i) - '0');
        }
        return n;
    }

    private static Map<String, String> properties(String where, JsonNode node) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw BadInputException.badRequest(where + ": properties must be an object of strings, not "
                    + article(node.getNodeType()));
        }
        Map<String, String> properties = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode value = e.getValue();
            if (value.isNull()) {
                continue;
            }
            if (!value.isValueNode()) {
                // the name as it came, control characters shown: DeviceMessage refuses it too, but later
                throw BadInputException.badRequest(where + ": property '" + abbreviate(name) + "' must be a string, not "
                        + article(value.getNodeType()));
            }
            properties.put(name, value.asText()); // names and values are checked as headers by DeviceMessage
        }
        return properties;
    }

    private static Optional<String> optionalText(String where, String field, JsonNode node) {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw BadInputException.badRequest(where + ": " + field + " must be a string, not " + article(node.getNodeType()));
        }
        return Optional.of(node.textValue());
    }

    /**
     * Every number must be one a reader of the message can hold: IoT Central reads telemetry numbers as doubles, so
     * NaN, infinities and numbers beyond a double's range (1e400 parsed exactly as a BigDecimal) would arrive as
     * garbage or be dropped there, unseen by the sender. The depth is bounded like a body's: a transform can nest
     * far deeper than any body (reduce ... [.]), and walking or writing that would overflow the stack.
     */
    private void checkValues(String where, String path, JsonNode node, int depth) {
        if (node.isContainerNode()) {
            if (depth > maxDepth) {
                throw BadInputException.badRequest(where + ": telemetry nests deeper than " + maxDepth
                        + " levels (at " + abbreviate(path) + ")");
            }
            if (node.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    checkValues(where, path + "." + e.getKey(), e.getValue(), depth + 1);
                }
            } else {
                for (int i = 0; i < node.size(); i++) {
                    checkValues(where, path + "[" + i + "]", node.get(i), depth + 1);
                }
            }
        } else if (node.isNumber() && !node.isIntegralNumber() || node.isBigInteger()) {
            if (!Double.isFinite(node.doubleValue())) {
                String shown = node.isBigDecimal() || node.isBigInteger() ? abbreviate(node.asText()) : Double.toString(node.doubleValue());
                throw BadInputException.badRequest(where + ": " + abbreviate(path) + " is " + shown
                        + (Double.isNaN(node.doubleValue()) || node.isDouble() || node.isFloat()
                                ? ", which JSON cannot carry; send null or leave it out"
                                : ", beyond the range of a double (about 1.8e308), which IoT Central cannot store"));
            }
        }
    }

    private byte[] serialize(JsonNode telemetry) {
        try {
            return mapper.writeValueAsBytes(telemetry);
        } catch (JsonProcessingException e) {
            throw BadInputException.badRequest("telemetry could not be written as JSON");
        }
    }

    private static String article(JsonNodeType type) {
        return switch (type) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> "a " + type.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** Shortens caller-supplied text for a message, and makes control characters visible so it cannot forge log lines. */
    static String abbreviate(String s) {
        String shown = s.length() <= 80 ? s : s.substring(0, 80) + "...";
        return shown.chars().anyMatch(Character::isISOControl)
                ? shown.codePoints().collect(StringBuilder::new,
                        (b, c) -> { if (Character.isISOControl(c)) { b.append(String.format("\\u%04x", c)); } else { b.appendCodePoint(c); } },
                        StringBuilder::append).toString()
                : shown;
    }
}
