package dev.iotcbridge.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/** Error answers in the shapes the real services use (docs/azure-protocol.md §2.6 and §3.5). */
final class ErrorBodies {

    private static final DateTimeFormatter HUB_TIMESTAMP =
            DateTimeFormatter.ofPattern("MM/dd/yyyy HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

    private ErrorBodies() {
    }

    /** DPS: {@code {"errorCode","trackingId","message","timestampUtc"}} plus {@code x-ms-error-code}. */
    static SimResponse dps(SimError error, Instant now) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("errorCode", error.code());
        body.put("trackingId", UUID.randomUUID().toString());
        body.put("message", error.message());
        body.put("timestampUtc", Json.dpsTime(now));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("x-ms-error-code", Integer.toString(error.code()));
        error.retryAfterSeconds().ifPresent(s -> headers.put("Retry-After", Integer.toString(s)));
        return SimResponse.json(error.status(), body, headers);
    }

    /** IoT Hub: {@code {"Message","ExceptionMessage"}} in either form, plus {@code iothub-errorcode}. */
    static SimResponse hub(SimError error, HubErrorStyle style, Instant now) {
        String trackingId = UUID.randomUUID().toString().replace("-", "").toUpperCase(Locale.ROOT);
        String exceptionMessage = "Tracking ID:" + trackingId + "-G:0-TimeStamp:" + HUB_TIMESTAMP.format(now);
        ObjectNode body = Json.MAPPER.createObjectNode();
        if (style == HubErrorStyle.NAMED) {
            body.put("Message", "ErrorCode:" + error.name() + ";" + error.message());
            body.put("ExceptionMessage", exceptionMessage);
        } else {
            ObjectNode inner = Json.MAPPER.createObjectNode();
            inner.put("errorCode", error.code());
            inner.put("trackingId", trackingId + "-G:0");
            inner.put("message", error.message());
            inner.put("timestampUtc", Json.dpsTime(now));
            body.put("Message", inner.toString());
            body.put("ExceptionMessage", "");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("iothub-errorcode", error.name());
        error.retryAfterSeconds().ifPresent(s -> headers.put("Retry-After", Integer.toString(s)));
        return SimResponse.json(error.status(), body, headers);
    }
}
