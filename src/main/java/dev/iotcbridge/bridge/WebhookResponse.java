package dev.iotcbridge.bridge;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** What the handler answers; the adapters copy it onto their response type. */
public record WebhookResponse(int status, Map<String, String> headers, byte[] body) {

    public WebhookResponse {
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
