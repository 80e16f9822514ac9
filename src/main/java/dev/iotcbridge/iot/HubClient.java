package dev.iotcbridge.iot;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.Completion;
import dev.iotcbridge.net.HttpReply;
import dev.iotcbridge.net.PooledHttpClient;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * IoT Hub's HTTPS send-event API (reference §4): {@code POST /devices/{id}/messages/events}, body = the telemetry
 * JSON, system properties in their own headers, application properties as {@code iothub-app-{name}}.
 */
final class HubClient {

    private static final String JSON = "application/json; charset=utf-8";

    private final PooledHttpClient http;
    private final InstantSource clock;
    private final long tokenTtlSeconds;
    private final long maxWaitNanos;
    private final ObjectMapper json;

    /** @param maxWaitNanos the longest one attempt waits for the hub, whatever is left of the call's budget */
    HubClient(PooledHttpClient http, InstantSource clock, long tokenTtlSeconds, long maxWaitNanos, ObjectMapper json) {
        this.http = http;
        this.clock = clock;
        this.tokenTtlSeconds = tokenTtlSeconds;
        this.maxWaitNanos = maxWaitNanos;
        this.json = json;
    }

    /**
     * One attempt, bounded by the deadline. The future never fails for what the hub or the network did: that is
     * in the reply. Made on an event loop, the whole attempt stays on that loop.
     */
    CompletableFuture<HubReply> send(DeviceLink link, DeviceMessage message, Deadline deadline) {
        // no header validation here: check() did it once per message, and Netty's would repeat it per attempt
        HttpHeaders headers = new DefaultHttpHeaders(false)
                .add("Authorization", link.authorization(clock.millis() / 1000, tokenTtlSeconds))
                .add("Content-Type", JSON)
                .add("iothub-contenttype", "application/json")
                .add("iothub-contentencoding", "utf-8");
        if (message.creationTimeUtc().isPresent()) {
            headers.add("iothub-app-iothub-creation-time-utc", message.creationTimeUtc().get());
        }
        if (message.component().isPresent()) {
            headers.add("dt-subject", message.component().get());
        }
        if (message.messageId().isPresent()) {
            headers.add("iothub-messageid", message.messageId().get());
        }
        if (!message.properties().isEmpty()) {
            for (Map.Entry<String, String> p : message.properties().entrySet()) {
                headers.add("iothub-app-" + p.getKey(), p.getValue());
            }
        }
        long wait = Math.min(maxWaitNanos, Math.max(1, deadline.remainingNanos()));
        return http.post(link.hub.origin, link.events, headers, message.body(), wait).handle(this::reply);
    }

    /** What one attempt got, from the hub's answer or the failure to get one (package-private: the fuzz tests feed it). */
    HubReply reply(HttpReply answer, Throwable failure) {
        if (failure != null) {
            Throwable cause = Completion.cause(failure);
            return HubReply.unreachable(cause instanceof IOException io ? io : new IOException(cause));
        }
        if (answer.successful()) {
            return HubReply.ACCEPTED;
        }
        String body = new String(answer.body(), StandardCharsets.UTF_8);
        return new HubReply(answer.status(), HubErrorCodes.find(body, answer.headers().get("iothub-errorcode"), json),
                RetryAfter.parse(answer.headers().get("Retry-After"), clock.instant()), null);
    }

    /**
     * Checks the device id and what becomes a header against {@link HubHeaderRules} (the webhook handler checks the
     * same rules), plus the timestamp, which must be printable. Once per message, before any attempt: keeps the sender safe for
     * other callers.
     */
    static void check(DeviceMessage message) {
        if (!HubHeaderRules.isDeviceId(message.deviceId())) {
            // a queued item is read back from storage: what the handler validated may have been written by another hand
            throw BadInputException.badRequest("device id '" + printable(message.deviceId()) + "' is not a DPS registration id:"
                    + " 1 to 128 letters, digits, '-', '.', '_' or ':', ending in a letter, digit or '-'");
        }
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
