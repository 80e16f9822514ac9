package dev.iotcbridge.sim;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One answer, computed before it is written so that latency and a cut connection can be applied to it.
 *
 * @param cut write only part of the answer, then close the connection (the request has taken effect)
 */
record Reply(int status, Map<String, String> headers, byte[] body, boolean cut) {

    static final String JSON = "application/json; charset=utf-8";

    /** The hub's answer to an accepted message. */
    static final Reply NO_CONTENT = empty(204);

    static Reply json(int status, JsonNode body, Map<String, String> headers) {
        Map<String, String> all = new LinkedHashMap<>(headers);
        all.put("Content-Type", JSON);
        return new Reply(status, all, body.toString().getBytes(StandardCharsets.UTF_8), false);
    }

    static Reply json(int status, JsonNode body) {
        return json(status, body, Map.of());
    }

    static Reply empty(int status) {
        return new Reply(status, Map.of(), new byte[0], false);
    }

    Reply cutHalfWay() {
        return new Reply(status, headers, body, true);
    }

    String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
