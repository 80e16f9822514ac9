package dev.iotcbridge.bridge;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** What the handler answers; the adapters copy it onto their response type. */
public record WebhookResponse(int status, Map<String, String> headers, byte[] body) {

    public WebhookResponse {
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    /** A JSON error answer, {"error": message}, for failures outside the handler (keys, methods, start-up). */
    public static WebhookResponse error(int status, String message) {
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("error", message);
        return new WebhookResponse(status, Map.of("Content-Type", "application/json; charset=utf-8"),
                body.toString().getBytes(StandardCharsets.UTF_8));
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
