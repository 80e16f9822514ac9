package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;

/** Short descriptions of values for error messages: never a whole body, at most a few dozen characters. */
final class JsonText {

    private static final int MAX = 40;

    private JsonText() {
    }

    static String describe(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        }
        String type = v.isTextual() ? "string" : v.isNumber() ? "number" : v.isBoolean() ? "boolean"
                : v.isNull() ? "null" : v.isArray() ? "array" : "object";
        if (v.isContainerNode()) {
            return type + " of " + v.size();
        }
        String text = v.toString();
        return v.isNull() ? "null" : type + " " + (text.length() > MAX ? text.substring(0, MAX) + "..." : text);
    }

    /**
     * At most {@code max} characters of {@code s}, its control characters written as \\u0000 first: the text ends up
     * in a response and a log line, where a raw CR or ESC from a body would forge a line or drive a terminal.
     */
    static String visible(String s, int max) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), max + 8));
        int i = 0;
        for (; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return i < s.length() ? b + "..." : b.toString();
    }

    static String clip(String s, int max) {
        if (s == null) {
            return "";
        }
        return s.length() > max ? s.substring(0, max) + "..." : s;
    }
}
