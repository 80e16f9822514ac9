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

    static String clip(String s, int max) {
        if (s == null) {
            return "";
        }
        return s.length() > max ? s.substring(0, max) + "..." : s;
    }
}
