package dev.iotcbridge.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.testing.FakeTransforms;
import dev.iotcbridge.testing.RecordingSender;
import dev.iotcbridge.transform.JqTransformCatalog;
import dev.iotcbridge.transform.RouteTransform;
import dev.iotcbridge.transform.TransformVariables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The decoding functions transforms call (docs/transform-functions.md), each against an oracle written from that
 * document: sigfox_decode with fuzzed definitions and data, the byte readers (uint_at, int_at, float_at, bit_at,
 * hex_bytes, base64_bytes, bytes_hex, bytes_text), the time functions (utc_seconds, utc_millis, utc_iso). A call gives
 * the value the document says, or a 400 naming the function; never a value read past the data, never a value the
 * input does not hold, and a timestamp the message validation then accepts unchanged.
 *
 * <p>Entry: one-line transforms loaded by {@link JqTransformCatalog}, applied as a route applies its transform.
 */
class DecodingFuzzTest {

    private static final TransformVariables NO_VARIABLES = new TransformVariables(Map.of(), Map.of(), "decode", "");
    private static final Map<String, String> PROGRAMS = new LinkedHashMap<>();

    static {
        PROGRAMS.put("sigfox", ".def as $d | .data | sigfox_decode($d)");
        for (String f : List.of("uint_at", "int_at", "float_at")) {
            PROGRAMS.put(f + "2", ".o as $o | .b as $b | .d | " + f + "($o; $b)");
            PROGRAMS.put(f + "3", ".o as $o | .b as $b | .e as $e | .d | " + f + "($o; $b; $e)");
        }
        PROGRAMS.put("bit_at", ".o as $o | .b as $b | .d | bit_at($o; $b)");
        for (String f : List.of("hex_bytes", "base64_bytes", "bytes_hex", "bytes_text", "utc_seconds", "utc_millis", "utc_iso")) {
            PROGRAMS.put(f, ".d | " + f);
        }
    }

    private static final JqTransformCatalog CATALOG = catalog();
    /** A message with the timestamp a time function gave: the validation must take it as it is. */
    private static final JsonNode[] TIMESTAMP = new JsonNode[1];
    private static final WebhookHandler STAMPED = new WebhookHandler(Settings.from(Map.of()), new FakeTransforms()
            .route("stamped", (body, vars) -> List.of(JsonNodeFactory.instance.objectNode().put("deviceId", "d")
                    .<ObjectNode>set("telemetry", JsonNodeFactory.instance.objectNode()).set("timestamp", TIMESTAMP[0]))),
            new RecordingSender(), Runnable::run);

    private static JqTransformCatalog catalog() {
        try {
            Path dir = Files.createTempDirectory("fuzz-transforms");
            for (Map.Entry<String, String> p : PROGRAMS.entrySet()) {
                Files.writeString(dir.resolve(p.getKey() + ".jq"), p.getValue());
            }
            JqTransformCatalog catalog = JqTransformCatalog.load(dir, Settings.from(Map.of()));
            for (String route : PROGRAMS.keySet()) {
                Files.delete(dir.resolve(route + ".jq"));
            }
            Files.delete(dir);
            return catalog;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // --- sigfox_decode -------------------------------------------------------------------------------------------

    private static final List<String> TYPES = List.of("bool", "char", "float", "uint", "int", "uint", "int", "Int", "");
    private static final List<String> ENDIAN = List.of("", "big-endian", "little-endian", "little", "LITTLE-ENDIAN");

    @FuzzTest
    void sigfoxDecode(byte[] input) {
        FuzzInput in = new FuzzInput(input);
        String definition = in.oneIn(8) ? in.text(64) : definition(in);
        byte[] data = in.bytes(16);
        boolean asArray = in.bool();
        JsonNode dataNode = asArray ? byteArray(data) : TextNode.valueOf(hex(data, in.bool()));
        if (in.oneIn(16)) {
            dataNode = TextNode.valueOf(dataNode.asText() + in.text(2)); // an odd length or a stray character
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("def", definition).set("data", dataNode);
        String shown = "definition '" + Inputs.visible(definition) + "' data " + dataNode;

        Watch.get().secrets(Map.of(), Map.of()).begin();
        Object got = apply("sigfox", body);
        byte[] payload = dataNode.isArray() ? data : validHex(dataNode) ? HexFormat.of().parseHex(dataNode.textValue()) : null;
        Object expected = payload == null ? SigfoxOracle.ERROR : SigfoxOracle.decode(definition, payload);
        if (expected == SigfoxOracle.UNSPECIFIED) {
            refusalOrValue(got, "sigfox_decode", shown);
        } else if (expected == SigfoxOracle.ERROR) {
            refused(got, "sigfox_decode", shown);
        } else {
            JsonNode out = value(got, "sigfox_decode", shown);
            @SuppressWarnings("unchecked")
            Map<String, Object> fields = (Map<String, Object>) expected;
            assertEquals(List.copyOf(fields.keySet()), fieldNames(out), "the fields, in the definition's order: " + shown);
            fields.forEach((name, v) -> assertValue(v, out.get(name), "field " + name + " of " + shown));
            // the bytes as an array and as hex are the same payload
            ObjectNode other = body.deepCopy().set("data", dataNode.isArray() ? TextNode.valueOf(hex(payload, false)) : byteArray(payload));
            assertEquals(out, value(apply("sigfox", other), "sigfox_decode", shown), "hex and bytes decode alike: " + shown);
        }
        Watch.get().end(shown);
    }

    /** A definition of a few fields made of the syntax's own pieces, sometimes a little wrong. */
    private static String definition(FuzzInput in) {
        int fields = 1 + in.below(5);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fields; i++) {
            if (i > 0) {
                b.append(in.oneIn(16) ? "\t" : " ");
            }
            b.append(in.oneIn(16) ? "x" : "f" + i).append(':');
            if (in.bool()) {
                b.append(in.below(in.oneIn(8) ? 20 : 10));
            }
            String type = in.oneOf(TYPES);
            b.append(':').append(type).append(':');
            switch (type) {
                case "bool" -> b.append(in.below(10));
                case "char" -> b.append(in.below(6));
                case "float" -> b.append(in.oneOf(List.of("32", "64", "16", ""))).append(in.bool() ? ":" + in.oneOf(ENDIAN) : "");
                default -> {
                    b.append(1 + in.below(in.oneIn(8) ? 70 : 64));
                    int extra = in.below(3);
                    if (extra >= 1) {
                        b.append(':').append(in.oneOf(ENDIAN));
                    }
                    if (extra == 2) {
                        b.append(':').append(in.oneIn(4) ? "" : Integer.toString(in.below(9)));
                    }
                }
            }
            if (in.oneIn(32)) {
                b.append(':');
            }
        }
        return b.toString();
    }

    private static void assertValue(Object expected, JsonNode got, String where) {
        if (expected instanceof Boolean bool) {
            assertTrue(got.isBoolean() && got.booleanValue() == bool, where + ": expected " + bool + ", got " + got);
        } else if (expected instanceof String s) {
            assertTrue(got.isTextual() && got.textValue().equals(s), where + ": expected '" + Inputs.visible(s) + "', got " + got);
        } else if (expected instanceof BigInteger i) {
            assertTrue(got.isIntegralNumber() && got.bigIntegerValue().equals(i), where + ": expected " + i + ", got " + got);
        } else if (expected instanceof Float f) {
            // given as the shortest decimal that reads back as the same float
            assertTrue(got.isNumber() && Float.compare((float) got.doubleValue(), f) == 0,
                    where + ": expected the float " + f + ", got " + got);
        } else if (expected instanceof Double d) {
            assertTrue(got.isNumber() && Double.compare(got.doubleValue(), d) == 0, where + ": expected " + d + ", got " + got);
        } else {
            fail("the oracle gave " + expected);
        }
    }

    // --- byte readers --------------------------------------------------------------------------------------------

    private static final List<String> READERS = List.of("uint_at2", "uint_at3", "int_at2", "int_at3", "float_at2",
            "float_at3", "bit_at", "hex_bytes", "base64_bytes", "bytes_hex", "bytes_text");
    private static final List<Integer> WIDTHS = List.of(8, 16, 24, 32, 40, 48, 56, 64, 0, 1, 7, 12, 65, 128);

    @FuzzTest
    void byteReaders(byte[] input) {
        FuzzInput in = new FuzzInput(input);
        String route = in.oneOf(READERS);
        byte[] data = in.bytes(12);
        JsonNode d = switch (in.below(8)) {
            case 0, 1, 2 -> byteArray(data);
            case 3, 4 -> TextNode.valueOf(hex(data, in.bool()));
            case 5 -> TextNode.valueOf(java.util.Base64.getEncoder().encodeToString(data).replace("=", in.bool() ? "=" : ""));
            case 6 -> oddBytes(in, data);
            default -> TextNode.valueOf(in.text(16));
        };
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.set("d", d);
        body.set("o", in.oneIn(8) ? oddNumber(in) : IntNode.valueOf(in.below(14)));
        body.set("b", in.oneIn(8) ? oddNumber(in) : IntNode.valueOf(route.equals("bit_at") ? in.below(10) : in.oneOf(WIDTHS)));
        body.set("e", in.oneIn(8) ? oddNumber(in) : TextNode.valueOf(in.oneOf(List.of("be", "le", "BE", "", "little"))));
        String fn = route.replaceAll("[23]$", "");
        String shown = route + " " + body;

        Watch.get().secrets(Map.of(), Map.of()).begin();
        Object got = apply(route, body);
        Object expected = readerOracle(route, body);
        if (expected == SigfoxOracle.ERROR) {
            refused(got, fn, shown);
        } else if (expected == SigfoxOracle.UNSPECIFIED) {
            refusalOrValue(got, fn, shown);
        } else {
            JsonNode out = value(got, fn, shown);
            if (expected instanceof JsonNode node) {
                assertEquals(node, out, shown);
            } else {
                assertValue(expected, out, shown);
            }
        }
        Watch.get().end(shown);
    }

    /** What the document says a reader gives for these arguments. */
    private static Object readerOracle(String route, JsonNode body) {
        JsonNode d = body.get("d");
        switch (route) {
            case "hex_bytes": {
                if (!validHex(d)) {
                    return SigfoxOracle.ERROR;
                }
                return byteArray(HexFormat.of().parseHex(d.textValue()));
            }
            case "base64_bytes": {
                if (!d.isTextual()) {
                    return SigfoxOracle.ERROR;
                }
                return base64(d.textValue());
            }
            case "bytes_hex": {
                byte[] b = d.isArray() ? bytesOf(d) : null;
                return b == null ? SigfoxOracle.ERROR : TextNode.valueOf(HexFormat.of().formatHex(b));
            }
            case "bytes_text": {
                byte[] b = d.isArray() ? bytesOf(d) : null;
                if (b == null) {
                    return SigfoxOracle.ERROR;
                }
                try {
                    return TextNode.valueOf(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString());
                } catch (CharacterCodingException e) {
                    return SigfoxOracle.ERROR;
                }
            }
            default:
                break;
        }
        byte[] data = d.isArray() ? bytesOf(d) : validHex(d) ? HexFormat.of().parseHex(d.textValue()) : null;
        Integer offset = whole(body.get("o"));
        Integer width = whole(body.get("b"));
        if (data == null || offset == null || width == null) {
            return SigfoxOracle.ERROR;
        }
        if (route.equals("bit_at")) {
            if (width > 7 || offset >= data.length) {
                return SigfoxOracle.ERROR;
            }
            return ((data[offset] >> width) & 1) == 1;
        }
        boolean little = false;
        if (route.endsWith("3")) {
            JsonNode e = body.get("e");
            if (!e.isTextual() || !e.textValue().equals("be") && !e.textValue().equals("le")) {
                return SigfoxOracle.ERROR;
            }
            little = e.textValue().equals("le");
        }
        boolean floating = route.startsWith("float");
        if (floating ? width != 32 && width != 64 : width < 8 || width > 64 || width % 8 != 0) {
            return SigfoxOracle.ERROR;
        }
        int count = width / 8;
        if ((long) offset + count > data.length) {
            return SigfoxOracle.ERROR;
        }
        byte[] b = new byte[count];
        for (int i = 0; i < count; i++) {
            b[i] = data[little ? offset + count - 1 - i : offset + i];
        }
        if (floating) {
            return count == 4 ? (Object) ByteBuffer.wrap(b).getFloat() : (Object) ByteBuffer.wrap(b).getDouble();
        }
        return route.startsWith("uint") ? new BigInteger(1, b) : new BigInteger(b);
    }

    /** Standard base64, padding optional; a final group with bits left over is not the document's concern. */
    private static Object base64(String s) {
        String body = s;
        int pad = 0;
        while (body.endsWith("=") && pad < 2) {
            body = body.substring(0, body.length() - 1);
            pad++;
        }
        if (!body.matches("[A-Za-z0-9+/]*") || body.length() % 4 == 1 || pad > 0 && (body.length() + pad) % 4 != 0) {
            return SigfoxOracle.ERROR;
        }
        int bits = body.length() * 6;
        BigInteger value = BigInteger.ZERO;
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (char c : body.toCharArray()) {
            value = value.shiftLeft(6).or(BigInteger.valueOf(alphabet.indexOf(c)));
        }
        int bytes = bits / 8;
        int spare = bits - bytes * 8;
        if (spare > 0 && value.and(BigInteger.ONE.shiftLeft(spare).subtract(BigInteger.ONE)).signum() != 0) {
            return SigfoxOracle.UNSPECIFIED;
        }
        value = value.shiftRight(spare);
        byte[] out = new byte[bytes];
        for (int i = bytes - 1; i >= 0; i--) {
            out[i] = value.byteValue();
            value = value.shiftRight(8);
        }
        return byteArray(out);
    }

    // --- time functions ------------------------------------------------------------------------------------------

    private static final List<String> TIME_PIECES = List.of("2026", "0000", "9999", "1970", "10000", "-0001", "+2026", "-",
            "01", "02", "12", "13", "00", "28", "29", "30", "31", "32", "T", "t", " ", "23", "24", "59", "60", ":", ".",
            "123", "123456789", "1234567890", "Z", "z", "+01:00", "-00:00", "+0100", "+18:00", "+18:01", "+19:00", "+01",
            "+1:00", "1700000000", "1700000000123", "1e3", "1.5", "-1", "1e999999999", "-1e999999999", "1e-999999999",
            "253402300799.999", "253402300800", "-62167219200", "-62167219200.001", "0x10", "", "+", "e", "1e", ".5");
    private static final List<JsonNode> TIME_NUMBERS = List.of(IntNode.valueOf(0), IntNode.valueOf(-1),
            LongNode.valueOf(1_700_000_000L), LongNode.valueOf(1_700_000_000_123L), LongNode.valueOf(253_402_300_799_999L),
            LongNode.valueOf(253_402_300_800_000L), LongNode.valueOf(-62_167_219_200_000L), LongNode.valueOf(Long.MIN_VALUE),
            DoubleNode.valueOf(1_700_000_000.1239), DoubleNode.valueOf(-0.0005), DoubleNode.valueOf(Double.NaN),
            DoubleNode.valueOf(Double.POSITIVE_INFINITY), DoubleNode.valueOf(1e300),
            DecimalNode.valueOf(new BigDecimal("1e999999999")), DecimalNode.valueOf(new BigDecimal("-1e999999999")),
            DecimalNode.valueOf(new BigDecimal("1e-999999999")), DecimalNode.valueOf(new BigDecimal("-1e-999999999")),
            DecimalNode.valueOf(new BigDecimal("1700000000.0015")), BigIntegerNode.valueOf(BigInteger.TEN.pow(30)));

    @FuzzTest
    void timeFunctions(byte[] input) {
        FuzzInput in = new FuzzInput(input);
        String route = in.oneOf(List.of("utc_seconds", "utc_millis", "utc_iso"));
        JsonNode d;
        switch (in.below(4)) {
            case 0 -> d = in.oneOf(TIME_NUMBERS);
            case 1 -> d = LongNode.valueOf(in.int64() >> in.below(64));
            case 2 -> d = TextNode.valueOf(in.text(40));
            default -> {
                StringBuilder b = new StringBuilder();
                int pieces = in.below(14);
                for (int i = 0; i < pieces; i++) {
                    b.append(in.oneOf(TIME_PIECES));
                }
                d = TextNode.valueOf(b.toString());
            }
        }
        if (route.equals("utc_iso") && in.bool()) {
            d = TextNode.valueOf(iso(in));
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode().set("d", d);
        String shown = route + " " + body;

        Watch.get().secrets(Map.of(), Map.of()).begin();
        Object got = apply(route, body);
        Object expected = route.equals("utc_iso") ? isoOracle(d) : epochOracle(d, route.equals("utc_seconds") ? 3 : 0);
        if (expected == SigfoxOracle.ERROR) {
            refused(got, route, shown);
        } else if (expected == SigfoxOracle.UNSPECIFIED) {
            refusalOrValue(got, route, shown);
        } else {
            assertEquals(TextNode.valueOf((String) expected), value(got, route, shown), shown);
        }
        if (got instanceof List<?> out && out.size() == 1) {
            // what a time function gives, the validation of the message takes unchanged
            TIMESTAMP[0] = (JsonNode) out.get(0);
            try {
                List<DeviceMessage> stamped = STAMPED.preview(new WebhookRequest("stamped", "", Map.of(),
                        Map.of("content-type", "application/json"), "{}".getBytes(StandardCharsets.UTF_8))).messages();
                assertEquals(TIMESTAMP[0].asText(), stamped.get(0).creationTimeUtc().orElseThrow(), shown);
            } catch (BadInputException e) {
                fail("the validation refuses the timestamp " + route + " gave: " + e.getMessage() + "\ninput: " + shown);
            }
        }
        Watch.get().end(shown);
    }

    /** A date-time much like RFC 3339's, each part a little off now and then. */
    private static String iso(FuzzInput in) {
        return String.format("%04d-%02d-%02d%s%02d:%02d:%02d%s%s", in.below(10_000), in.between(0, 13), in.between(0, 32),
                in.oneOf(List.of("T", "t", " ")), in.below(25), in.below(61), in.below(61),
                in.bool() ? "" : "." + "123456789012".substring(0, in.below(13)),
                in.oneOf(List.of("Z", "z", "+00:00", "-00:00", "+01:00", "-11:30", "+0530", "+18:00", "-18:00", "+18:30", "+23:59", "", "+01")));
    }

    private static final long MIN_MILLIS = -62_167_219_200_000L; // 0000-01-01T00:00:00Z
    private static final long MAX_MILLIS = 253_402_300_799_999L; // 9999-12-31T23:59:59.999Z
    private static final Pattern NUMERIC = Pattern.compile("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");

    /** Epoch seconds (scale 3) or milliseconds (0): a number or a numeric string, truncated towards the past. */
    private static Object epochOracle(JsonNode d, int scale) {
        BigDecimal v;
        if (d.isNumber()) {
            if ((d.isDouble() || d.isFloat()) && !Double.isFinite(d.doubleValue())) {
                return SigfoxOracle.ERROR;
            }
            v = d.decimalValue();
        } else if (d.isTextual()) {
            String t = d.textValue().strip();
            if (!NUMERIC.matcher(t).matches()) {
                return SigfoxOracle.ERROR;
            }
            if (t.length() > 40) {
                return SigfoxOracle.UNSPECIFIED;
            }
            try {
                v = new BigDecimal(t);
            } catch (NumberFormatException exponentBeyondInt) {
                // "1e99999999999": a time beyond any year, an error; "1e-99999999999" (about 0) is left open
                return t.matches(".*[eE]-.*") ? SigfoxOracle.UNSPECIFIED : SigfoxOracle.ERROR;
            }
        } else {
            return SigfoxOracle.ERROR;
        }
        // decided on the magnitude first: 1e999999999 must not be expanded to be found too large
        if (v.signum() != 0 && v.precision() - v.scale() + scale > 16) {
            return SigfoxOracle.ERROR;
        }
        BigDecimal millis = v.movePointRight(scale);
        if (millis.signum() != 0 && millis.precision() - millis.scale() < -1) {
            return format(millis.signum() < 0 ? -1 : 0); // |millis| < 0.1: the floor is 0 or -1
        }
        BigDecimal floor = millis.setScale(0, RoundingMode.FLOOR);
        if (floor.compareTo(BigDecimal.valueOf(MIN_MILLIS)) < 0 || floor.compareTo(BigDecimal.valueOf(MAX_MILLIS)) > 0) {
            return SigfoxOracle.ERROR;
        }
        return format(floor.longValueExact());
    }

    private static final Pattern RFC3339 = Pattern.compile(
            "([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\\.([0-9]*))?([Zz]|([+-])([0-9]{2}):?([0-9]{2}))");

    /** ISO-8601 / RFC 3339 with an offset, 0..9 fraction digits, the years 0000..9999 once in UTC. */
    private static Object isoOracle(JsonNode d) {
        if (!d.isTextual()) {
            return SigfoxOracle.ERROR;
        }
        Matcher m = RFC3339.matcher(d.textValue().strip());
        if (!m.matches()) {
            return SigfoxOracle.ERROR;
        }
        String fraction = m.group(8) == null ? "" : m.group(8);
        if (m.group(7) != null && fraction.isEmpty() || fraction.length() > 9) {
            return fraction.isEmpty() ? SigfoxOracle.UNSPECIFIED : SigfoxOracle.ERROR;
        }
        int hour = Integer.parseInt(m.group(4));
        int second = Integer.parseInt(m.group(6));
        if (hour == 24 || second == 60) {
            return SigfoxOracle.UNSPECIFIED; // ISO's end of day and leap seconds: the document does not say
        }
        int offset = 0;
        if (m.group(10) != null) {
            int oh = Integer.parseInt(m.group(11));
            int om = Integer.parseInt(m.group(12));
            if (om > 59) {
                return SigfoxOracle.ERROR;
            }
            if (oh > 18 || oh == 18 && om > 0) {
                return SigfoxOracle.UNSPECIFIED;
            }
            offset = (m.group(10).equals("-") ? -1 : 1) * (oh * 3600 + om * 60);
        }
        LocalDateTime local;
        try {
            local = LocalDateTime.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    hour, Integer.parseInt(m.group(5)), second);
        } catch (DateTimeException e) {
            return SigfoxOracle.ERROR; // February 30th is no date
        }
        long millis = local.toEpochSecond(ZoneOffset.UTC) * 1000 - offset * 1000L
                + (fraction.isEmpty() ? 0 : Integer.parseInt((fraction + "00").substring(0, 3)));
        if (millis < MIN_MILLIS || millis > MAX_MILLIS) {
            return SigfoxOracle.ERROR;
        }
        return format(millis);
    }

    private static String format(long epochMillis) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(Math.floorDiv(epochMillis, 1000), 0, ZoneOffset.UTC);
        return String.format("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.getYear(), t.getMonthValue(), t.getDayOfMonth(),
                t.getHour(), t.getMinute(), t.getSecond(), Math.floorMod(epochMillis, 1000));
    }

    // --- shared --------------------------------------------------------------------------------------------------

    private static Object apply(String route, JsonNode body) {
        RouteTransform t = CATALOG.find(route).orElseThrow();
        try {
            return t.apply(body, NO_VARIABLES, 10);
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** The one value a call gave; anything else fails. */
    private static JsonNode value(Object got, String function, String shown) {
        if (got instanceof List<?> out) {
            assertEquals(1, out.size(), function + " gives one value: " + shown);
            return (JsonNode) out.get(0);
        }
        if (got instanceof BridgeException e) {
            fail(function + " refused what the document says it reads: " + e.status() + " " + e.getMessage() + "\ninput: " + shown);
        }
        throw new AssertionError(function + " threw " + got + "\ninput: " + shown, (Throwable) got);
    }

    /** A 400 that names the function; a value or another exception fails. */
    private static void refused(Object got, String function, String shown) {
        if (got instanceof List<?> out) {
            fail(function + " gave " + out + " where the document says it is an error (a read past the data, or a value"
                    + " the input does not hold)\ninput: " + shown);
        }
        refusal(got, function, shown);
    }

    private static void refusalOrValue(Object got, String function, String shown) {
        if (!(got instanceof List<?>)) {
            refusal(got, function, shown);
        }
    }

    private static void refusal(Object got, String function, String shown) {
        if (got instanceof BadInputException e) {
            Watch.get().see(e.getMessage());
            CallerText.check("the 400", e.getMessage(), shown);
            assertEquals(400, e.status(), shown);
            assertTrue(e.getMessage().contains("failed on this body: " + function + ": "),
                    "the 400 names the function and the problem: " + e.getMessage() + "\ninput: " + shown);
            return;
        }
        if (got instanceof BridgeException e) {
            fail(function + " answered " + e.status() + " for its input: " + e.getMessage() + "\ninput: " + shown);
        }
        throw new AssertionError(function + " threw " + got + "\ninput: " + shown, (Throwable) got);
    }

    private static List<String> fieldNames(JsonNode out) {
        List<String> names = new java.util.ArrayList<>();
        for (Iterator<String> it = out.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    static ArrayNode byteArray(byte[] data) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode(data.length);
        for (byte b : data) {
            a.add(b & 0xff);
        }
        return a;
    }

    private static String hex(byte[] data, boolean upper) {
        String h = HexFormat.of().formatHex(data);
        return upper ? h.toUpperCase(java.util.Locale.ROOT) : h;
    }

    private static boolean validHex(JsonNode d) {
        return d.isTextual() && d.textValue().length() % 2 == 0 && d.textValue().matches("[0-9A-Fa-f]*");
    }

    /** The bytes of an array whose every element is exactly an integer 0..255; null otherwise. */
    private static byte[] bytesOf(JsonNode array) {
        byte[] b = new byte[array.size()];
        for (int i = 0; i < b.length; i++) {
            Integer v = exactInteger(array.get(i));
            if (v == null || v < 0 || v > 255) {
                return null;
            }
            b[i] = (byte) (int) v;
        }
        return b;
    }

    /** A whole number 0..2^31-1 (an offset, a width), exactly. */
    private static Integer whole(JsonNode v) {
        Integer i = exactInteger(v);
        return i == null || i < 0 ? null : i;
    }

    private static Integer exactInteger(JsonNode v) {
        if (v == null || !v.isNumber()) {
            return null;
        }
        if ((v.isDouble() || v.isFloat()) && !Double.isFinite(v.doubleValue())) {
            return null;
        }
        BigDecimal d = v.decimalValue();
        try {
            return d.stripTrailingZeros().scale() > 0 ? null : d.intValueExact();
        } catch (ArithmeticException notAnInt) {
            return null;
        }
    }

    /** A byte array with one element that is no byte, or is one in another numeric form. */
    private static JsonNode oddBytes(FuzzInput in, byte[] data) {
        ArrayNode a = byteArray(data);
        JsonNode odd = oddNumber(in);
        if (a.isEmpty() || in.bool()) {
            a.add(odd);
        } else {
            a.set(in.below(a.size()), odd);
        }
        return a;
    }

    private static JsonNode oddNumber(FuzzInput in) {
        return in.oneOf(List.of(IntNode.valueOf(-1), IntNode.valueOf(256), DoubleNode.valueOf(1.5), DoubleNode.valueOf(255.0),
                DoubleNode.valueOf(2.0), DecimalNode.valueOf(new BigDecimal("1.0000000000000000001")),
                DecimalNode.valueOf(new BigDecimal("2.00")), DecimalNode.valueOf(new BigDecimal("1e1")),
                LongNode.valueOf(1L << 31), LongNode.valueOf(-(1L << 32) + 3), BigIntegerNode.valueOf(BigInteger.TWO.pow(70).add(BigInteger.TWO)),
                DoubleNode.valueOf(Double.NaN), TextNode.valueOf("1"), NullNode.getInstance(), JsonNodeFactory.instance.arrayNode()));
    }
}
