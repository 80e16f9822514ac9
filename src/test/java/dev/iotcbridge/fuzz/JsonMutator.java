package dev.iotcbridge.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Structure-aware mutations of a JSON document (a vendor's webhook body): each reads its choices from the fuzzer's
 * bytes and edits one node (a value of another type, a string a cloud might really send, a number at a limit, a field
 * gone, a subtree copied elsewhere), so that most mutants are still almost the vendor's format and reach deep into
 * the transform, where random bytes would stop at the JSON parser.
 */
final class JsonMutator {

    /** Strings clouds send or get wrong: hex and base64 payloads, times in every unit and format, ids, nothing. */
    static final List<String> STRINGS = List.of(
            "", " ", "null", "0", "-1", "1.5", "1e3", "0x10", "00", "ff", "FF", "0011223344556677", "abc", "0g",
            "AQID", "AQID/w==", "====", "a84041000181c150", "A84041000181C150", "dev:864475040000000", "dev:",
            "2026-11-27T10:00:00Z", "2026-11-27T10:00:00.123456789+01:00", "2026-11-27T10:00:00", "2026-02-30T10:00:00Z",
            "2026-11-27 10:00:00+0100", "1700000000", "1700000000123", "1e999999999", "-1e999999999", "1e-999999999",
            "9999-12-31T23:59:59.999Z", "+999999999-12-31T23:59:59Z", "up", "join", "rx", "gw", "uplink_message",
            "DevEUI_uplink", "_track.qo", "_session.qo", "data.qo", "sensor/temp", "SFR France", "caf\u00e9", "\u0000",
            "a\r\nb", "\u202e", "x".repeat(129), "dtmi:com:example:Sensor;1", "dtmi:bad", "temp::int:16 hum::uint:8",
            "%", "%zz", "\"quoted\"", "{}", "[]");
    static final List<JsonNode> NUMBERS = List.of(
            IntNode.valueOf(0), IntNode.valueOf(-1), IntNode.valueOf(1), IntNode.valueOf(255), IntNode.valueOf(256),
            IntNode.valueOf(Integer.MAX_VALUE), LongNode.valueOf(Long.MAX_VALUE), LongNode.valueOf(Long.MIN_VALUE),
            LongNode.valueOf(1_700_000_000L), LongNode.valueOf(1_700_000_000_123L), LongNode.valueOf(253_402_300_800_000L),
            DoubleNode.valueOf(1.5), DoubleNode.valueOf(-0.0), DoubleNode.valueOf(1e308), DoubleNode.valueOf(4.9e-324),
            DoubleNode.valueOf(1_700_000_000.1239), DecimalNode.valueOf(new BigDecimal("1e400")),
            DecimalNode.valueOf(new BigDecimal("1e999999999")), DecimalNode.valueOf(new BigDecimal("-1e999999999")),
            DecimalNode.valueOf(new BigDecimal("1e-999999999")), DecimalNode.valueOf(new BigDecimal("0.000000000000000000001")),
            BigIntegerNode.valueOf(BigInteger.TWO.pow(64)), BigIntegerNode.valueOf(BigInteger.TEN.pow(400).negate()));

    private final FuzzInput in;

    JsonMutator(FuzzInput in) {
        this.in = in;
    }

    /** Applies {@code count} mutations to {@code root} (which may be replaced) and returns the result. */
    JsonNode mutate(JsonNode root, int count) {
        JsonNode doc = root;
        for (int i = 0; i < count && in.more(); i++) {
            doc = mutateOnce(doc);
        }
        return doc;
    }

    /** A node of the tree and where it hangs. */
    private record Place(JsonNode parent, String field, int index, JsonNode node) {
    }

    private JsonNode mutateOnce(JsonNode root) {
        List<Place> places = new ArrayList<>();
        collect(null, null, -1, root, places);
        Place p = places.get(in.below(places.size()));
        int op = in.below(9);
        if (op == 8 && p.node.isContainerNode()) {
            // a new member, named like one of the document's own fields
            JsonNode value = value(places);
            if (p.node instanceof ObjectNode o) {
                o.set(fieldName(places), value);
            } else {
                ((ArrayNode) p.node).insert(in.below(p.node.size() + 1), value);
            }
            return root;
        }
        if (op == 7 && p.parent != null) {
            // gone
            if (p.parent instanceof ObjectNode o) {
                o.remove(p.field);
            } else {
                ((ArrayNode) p.parent).remove(p.index);
            }
            return root;
        }
        JsonNode replacement = switch (op) {
            case 0, 1 -> value(places);
            case 2 -> retype(p.node);
            case 3 -> TextNode.valueOf(in.text(48));
            case 4 -> p.node.isTextual() ? edit(p.node.textValue()) : value(places);
            case 5 -> places.get(in.below(places.size())).node.deepCopy();
            default -> wrap(p.node);
        };
        if (p.parent == null) {
            return replacement;
        }
        if (p.parent instanceof ObjectNode o) {
            o.set(p.field, replacement);
        } else {
            ((ArrayNode) p.parent).set(p.index, replacement);
        }
        return root;
    }

    private static void collect(JsonNode parent, String field, int index, JsonNode node, List<Place> out) {
        out.add(new Place(parent, field, index, node));
        if (node instanceof ObjectNode o) {
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                collect(node, e.getKey(), -1, e.getValue(), out);
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                collect(node, null, i, a.get(i), out);
            }
        }
    }

    private String fieldName(List<Place> places) {
        if (in.bool()) {
            for (int tries = 0; tries < 4; tries++) {
                Place p = places.get(in.below(places.size()));
                if (p.field != null) {
                    return p.field;
                }
            }
        }
        return in.bool() ? in.oneOf(STRINGS) : in.text(16);
    }

    /** A value a cloud might put anywhere. */
    JsonNode value(List<Place> places) {
        return switch (in.below(8)) {
            case 0 -> TextNode.valueOf(in.oneOf(STRINGS));
            case 1 -> in.oneOf(NUMBERS);
            case 2 -> NullNode.getInstance();
            case 3 -> BooleanNode.valueOf(in.bool());
            case 4 -> JsonNodeFactory.instance.objectNode();
            case 5 -> JsonNodeFactory.instance.arrayNode();
            case 6 -> places == null ? IntNode.valueOf(in.u8()) : places.get(in.below(places.size())).node.deepCopy();
            default -> IntNode.valueOf(in.int32());
        };
    }

    /** The same datum as another JSON type, as templates that forget quotes (or add them) send it. */
    private JsonNode retype(JsonNode n) {
        if (n.isTextual()) {
            String t = n.textValue();
            try {
                return DecimalNode.valueOf(new BigDecimal(t.strip()));
            } catch (NumberFormatException notANumber) {
                return in.bool() ? BooleanNode.valueOf(!t.isEmpty()) : JsonNodeFactory.instance.arrayNode().add(t);
            }
        }
        if (n.isNumber() || n.isBoolean()) {
            return TextNode.valueOf(n.asText());
        }
        if (n.isNull()) {
            return TextNode.valueOf("");
        }
        return TextNode.valueOf(n.toString());
    }

    private JsonNode wrap(JsonNode n) {
        return in.bool() ? JsonNodeFactory.instance.arrayNode().add(n.deepCopy())
                : JsonNodeFactory.instance.objectNode().set(in.oneOf(STRINGS), n.deepCopy());
    }

    /** A small edit of a string: cut, extended, case changed, a character replaced. */
    private JsonNode edit(String s) {
        switch (in.below(6)) {
            case 0:
                return TextNode.valueOf(s.substring(0, in.below(s.length() + 1)));
            case 1:
                return TextNode.valueOf(s + in.text(8));
            case 2:
                return TextNode.valueOf(s.toUpperCase(Locale.ROOT));
            case 3:
                return TextNode.valueOf(in.text(8) + s);
            case 4:
                return TextNode.valueOf(s.repeat(1 + in.below(4)));
            default:
                if (s.isEmpty()) {
                    return TextNode.valueOf(in.text(4));
                }
                int at = in.below(s.length());
                return TextNode.valueOf(s.substring(0, at) + (char) in.u8() + s.substring(at + 1));
        }
    }
}
