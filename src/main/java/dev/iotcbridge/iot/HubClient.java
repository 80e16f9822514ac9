package dev.iotcbridge.iot;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.error.BadInputException;
import java.io.IOException;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * IoT Hub's HTTPS send-event API (reference §4): {@code POST /devices/{id}/messages/events}, body = the telemetry
 * JSON, system properties in their own headers, application properties as {@code iothub-app-{name}}.
 */
final class HubClient {

    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
    private static final int MAX_ERROR_BODY = 16 * 1024;

    private final OkHttpClient http;
    private final InstantSource clock;
    private final long tokenTtlSeconds;
    private final ObjectMapper json;

    HubClient(OkHttpClient http, InstantSource clock, long tokenTtlSeconds, ObjectMapper json) {
        this.http = http;
        this.clock = clock;
        this.tokenTtlSeconds = tokenTtlSeconds;
        this.json = json;
    }

    /** One attempt, bounded by the deadline; never throws for what the hub or the network did. */
    HubReply send(DeviceLink link, DeviceMessage message, Deadline deadline) {
        Request.Builder request = new Request.Builder()
                .url(link.events)
                .header("Authorization", link.authorization(clock.millis() / 1000, tokenTtlSeconds))
                .header("iothub-contenttype", "application/json")
                .header("iothub-contentencoding", "utf-8");
        // plain ifs rather than Optional.ifPresent: no capturing lambda allocated per message
        if (message.creationTimeUtc().isPresent()) {
            request.header("iothub-app-iothub-creation-time-utc", message.creationTimeUtc().get());
        }
        if (message.component().isPresent()) {
            request.header("dt-subject", message.component().get());
        }
        if (message.messageId().isPresent()) {
            request.header("iothub-messageid", message.messageId().get());
        }
        if (!message.properties().isEmpty()) {
            for (Map.Entry<String, String> p : message.properties().entrySet()) {
                request.header("iothub-app-" + p.getKey(), p.getValue());
            }
        }
        Call call = http.newCall(request.post(RequestBody.create(message.body(), JSON)).build());
        call.timeout().timeout(Math.max(1, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
        try (Response response = call.execute()) {
            if (response.isSuccessful()) {
                return HubReply.ACCEPTED;
            }
            String body = response.peekBody(MAX_ERROR_BODY).string();
            return new HubReply(response.code(), HubErrorCodes.find(body, response.header("iothub-errorcode"), json),
                    RetryAfter.parse(response.header("Retry-After"), clock.instant()), null);
        } catch (IOException e) {
            return HubReply.unreachable(e);
        }
    }

    /**
     * Checks what becomes a header against {@link HubHeaderRules} (the webhook handler checks the same rules), plus
     * the timestamp, which must be printable. Once per message, before any attempt: keeps the sender safe for
     * other callers.
     */
    static void check(DeviceMessage message) {
        for (Map.Entry<String, String> p : message.properties().entrySet()) {
            if (!HubHeaderRules.isHeaderToken(p.getKey()) || !HubHeaderRules.isHeaderToken(p.getValue())) {
                throw BadInputException.badRequest("message property '" + printable(p.getKey()) + "' of device "
                        + message.deviceId() + " has a name or value IoT Hub cannot carry over HTTPS: use 1 or more ASCII "
                        + "letters, digits and !#$%&'*+-.^_`|~ only");
            }
        }
        if (message.component().isPresent() && !HubHeaderRules.isHeaderToken(message.component().get())) {
            throw BadInputException.badRequest("component '" + printable(message.component().get()) + "' of device "
                    + message.deviceId() + " must be ASCII letters, digits and !#$%&'*+-.^_`|~");
        }
        if (message.messageId().isPresent() && !HubHeaderRules.isMessageId(message.messageId().get())) {
            throw BadInputException.badRequest("messageId '" + printable(message.messageId().get()) + "' of device "
                    + message.deviceId() + " must be 1 to 128 ASCII letters, digits or - : . + % _ # * ? ! ( ) , = @ ; $ '");
        }
        if (message.creationTimeUtc().isPresent() && !visibleAscii(message.creationTimeUtc().get())) {
            throw BadInputException.badRequest("timestamp of device " + message.deviceId() + " is not printable ASCII");
        }
    }

    private static boolean visibleAscii(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** Echo caller input safely: at most 64 printable ASCII characters. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 64; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}
