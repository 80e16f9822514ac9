package dev.iotcbridge.iot;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.error.Completion;
import dev.iotcbridge.net.PooledHttpClient;
import dev.iotcbridge.net.ReceivedResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * IoT Hub's HTTPS send-event API (docs/azure-protocol.md, section 3): {@code POST /devices/{id}/messages/events}, body = the telemetry
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
        // no header validation here: a DeviceMessage is valid by construction, and Netty's would repeat it per attempt
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
    HubReply reply(ReceivedResponse answer, Throwable failure) {
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
}
