package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import net.thisptr.jackson.jq.Scope;

/**
 * {@code hub_properties}: turns an object of metadata into message properties IoT Hub accepts. Over HTTPS a
 * property travels as a header, whose names and values may only hold the characters docs/azure-protocol.md
 * (section 3) lists; real metadata often holds others (a Particle event name {@code sensor/temp}, a Sigfox operator
 * name with a space). Refusing the message for its metadata would lose the telemetry, so values are percent-encoded
 * instead ({@code sensor%2Ftemp}), which keeps them readable and reversible. Nulls are dropped, scalars become text.
 */
final class PropertyFunctions {

    private PropertyFunctions() {
    }

    static void register(Scope scope) {
        scope.addFunction("hub_properties", 0, BinaryFunctions.simple("hub_properties", PropertyFunctions::properties));
    }

    private static JsonNode properties(JsonNode in) throws TransformFunctionException {
        if (!in.isObject()) {
            throw new TransformFunctionException("hub_properties", "input must be an object of metadata, got " + JsonText.describe(in));
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode value = e.getValue();
            if (value.isNull()) {
                continue;
            }
            if (!value.isValueNode()) {
                throw new TransformFunctionException("hub_properties", "property " + e.getKey()
                        + " must be a string, number or boolean, got " + JsonText.describe(value));
            }
            String text = value.isNumber() ? number(value) : value.asText();
            if (!text.isEmpty()) {
                out.put(e.getKey(), encode(text));
            }
        }
        return out;
    }

    /** Numbers as jq's tostring writes them: 3.0 is "3", 4.75 is "4.75". */
    private static String number(JsonNode n) {
        if (n.isFloatingPointNumber()) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 1e17) {
                return Long.toString((long) d);
            }
        }
        return n.toString();
    }

    /** Percent-encodes every byte outside the header token characters, and '%' itself so that decoding is exact. */
    static String encode(String text) {
        StringBuilder b = null;
        byte[] utf8 = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 128 && c != '%' && isToken(c)) {
                continue;
            }
            // slow path: something to encode; rebuild from the bytes
            utf8 = text.getBytes(StandardCharsets.UTF_8);
            b = new StringBuilder(utf8.length + 16);
            break;
        }
        if (b == null) {
            return text;
        }
        for (byte raw : utf8) {
            int v = raw & 0xff;
            if (v < 128 && v != '%' && isToken((char) v)) {
                b.append((char) v);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(v >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(v & 0xf, 16)));
            }
        }
        return b.toString();
    }

    private static boolean isToken(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$&'*+-.^_`|~".indexOf(c) >= 0;
    }
}
