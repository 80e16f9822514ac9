package dev.iotcbridge.downlink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fills an offer's answer or request body with the downlink (docs/commands.md). A string that is exactly one
 * placeholder becomes the value with its JSON type ({@code "{{port}}"} becomes the number 10, {@code "{{confirmed}}"}
 * a boolean); a placeholder inside longer text becomes text (URL-encoded in a URL). Placeholders: {@code hex},
 * {@code HEX} (upper case), {@code base64}, {@code port}, {@code confirmed}, {@code command} (the command's name).
 */
final class DownlinkTemplate {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_]+)\\s*}}");
    private static final Set<String> NAMES = Set.of("hex", "HEX", "base64", "port", "confirmed", "command");
    private static final int MAX_DEPTH = 32;

    private DownlinkTemplate() {
    }

    /** The values a template is filled with. */
    record Values(byte[] bytes, int port, boolean confirmed, String command) {

        JsonNode value(String name) {
            return switch (name) {
                case "hex" -> TextNode.valueOf(HexFormat.of().formatHex(bytes));
                case "HEX" -> TextNode.valueOf(HexFormat.of().withUpperCase().formatHex(bytes));
                case "base64" -> TextNode.valueOf(java.util.Base64.getEncoder().encodeToString(bytes));
                case "port" -> IntNode.valueOf(port);
                case "confirmed" -> BooleanNode.valueOf(confirmed);
                case "command" -> command == null ? NullNode.getInstance() : TextNode.valueOf(command);
                default -> throw new IllegalStateException("unchecked placeholder " + name);
            };
        }
    }

    /** Refuses a template with an unknown placeholder or nested deeper than makes sense. */
    static void check(String where, JsonNode template) throws DownlinkOffer.Invalid {
        check(where, template, 0);
    }

    private static void check(String where, JsonNode node, int depth) throws DownlinkOffer.Invalid {
        if (depth > MAX_DEPTH) {
            throw new DownlinkOffer.Invalid(where + " nests deeper than " + MAX_DEPTH + " levels");
        }
        if (node.isTextual()) {
            Matcher m = PLACEHOLDER.matcher(node.textValue());
            while (m.find()) {
                if (!NAMES.contains(m.group(1))) {
                    throw new DownlinkOffer.Invalid(where + " has an unknown placeholder {{" + DownlinkOffer.clip(m.group(1))
                            + "}}; the placeholders are hex, HEX, base64, port, confirmed, command");
                }
            }
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                check(where, it.next().getValue(), depth + 1);
            }
        } else if (node.isArray()) {
            for (JsonNode e : node) {
                check(where, e, depth + 1);
            }
        }
    }

    /** A copy of the JSON template with every placeholder filled. */
    static JsonNode render(JsonNode template, Values values) {
        if (template.isTextual()) {
            String text = template.textValue();
            Matcher whole = PLACEHOLDER.matcher(text);
            if (whole.matches()) {
                return values.value(whole.group(1));
            }
            return TextNode.valueOf(interpolate(text, values, false));
        }
        if (template.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = template.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.set(e.getKey(), render(e.getValue(), values));
            }
            return out;
        }
        if (template.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode(template.size());
            for (JsonNode e : template) {
                out.add(render(e, values));
            }
            return out;
        }
        return template;
    }

    /** The URL with every placeholder filled, each value URL-encoded. */
    static String renderUrl(String template, Values values) {
        return interpolate(template, values, true);
    }

    private static String interpolate(String text, Values values, boolean urlEncode) {
        Matcher m = PLACEHOLDER.matcher(text);
        if (!m.find()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 32);
        int last = 0;
        do {
            out.append(text, last, m.start());
            JsonNode v = values.value(m.group(1));
            String s = v.isTextual() ? v.textValue() : v.toString();
            out.append(urlEncode ? URLEncoder.encode(s, StandardCharsets.UTF_8) : s);
            last = m.end();
        } while (m.find());
        return out.append(text, last, text.length()).toString();
    }
}
