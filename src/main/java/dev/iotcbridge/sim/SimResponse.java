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
record SimResponse(int status, Map<String, String> headers, byte[] body, boolean cut) {

    static final String JSON = "application/json; charset=utf-8";

    /** The hub's answer to an accepted message. */
    static final SimResponse NO_CONTENT = empty(204);

    static SimResponse json(int status, JsonNode body, Map<String, String> headers) {
        Map<String, String> all = new LinkedHashMap<>(headers);
        all.put("Content-Type", JSON);
        return new SimResponse(status, all, body.toString().getBytes(StandardCharsets.UTF_8), false);
    }

    static SimResponse json(int status, JsonNode body) {
        return json(status, body, Map.of());
    }

    static SimResponse empty(int status) {
        return new SimResponse(status, Map.of(), new byte[0], false);
    }

    SimResponse cutHalfWay() {
        return new SimResponse(status, headers, body, true);
    }

    String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
