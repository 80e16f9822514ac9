package dev.iotcbridge.iot;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.error.Completion;
import dev.iotcbridge.net.PooledHttpClient;
import dev.iotcbridge.net.ReceivedResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

/**
 * The device side of IoT Hub's cloud-to-device (C2D) API over HTTPS, for devices the bridge already holds a link to
 * (docs/azure-protocol.md §4): receive the next message of a device's queue with its lock, then complete, reject or
 * abandon it. It uses the sender's hub connections, links and tokens; it never provisions: a device with no cached
 * link, or whose hub answers an error, simply has nothing to receive this time (its next uplink re-provisions it).
 *
 * <p>Every future completes normally: what the hub did is in the result, and nothing is retried here (a settlement
 * that fails leaves the message locked until its lock expires, after which the hub offers it again).
 */
public final class CloudToDevice {

    /** Application properties travel as headers with this prefix, as on send-event. */
    private static final String APP_PREFIX = "iothub-app-";

    private final PooledHttpClient http;
    private final DeviceLinks links;
    private final InstantSource clock;
    private final long tokenTtlSeconds;
    private final String apiVersion;
    private final ObjectMapper json;

    CloudToDevice(PooledHttpClient http, DeviceLinks links, InstantSource clock, long tokenTtlSeconds, String apiVersion,
                  ObjectMapper json) {
        this.http = http;
        this.links = links;
        this.clock = clock;
        this.tokenTtlSeconds = tokenTtlSeconds;
        this.apiVersion = URLEncoder.encode(apiVersion, StandardCharsets.UTF_8);
        this.json = json;
    }

    /** What a receive found. */
    public sealed interface Receipt permits Received, Empty, Unavailable {
    }

    /** A message, now locked for one minute. */
    public record Received(CloudToDeviceMessage message) implements Receipt {
    }

    /** The device's queue is empty (204). */
    public record Empty() implements Receipt {
    }

    /**
     * Nothing could be received: no link is cached for the device, or the hub answered an error or not at all.
     *
     * @param status the hub's HTTP status, 0 when there was no answer or no link
     */
    public record Unavailable(int status, String reason) implements Receipt {
    }

    /** How a settlement ended. */
    public enum Outcome {
        /** The hub answered 204: the message is completed, dead-lettered or back in the queue, as asked. */
        DONE,
        /** 412 (or 404): the lock expired or the message is gone; the hub has already taken it back. */
        LOCK_LOST,
        /** Any other answer, or none: the lock expires on its own and the hub offers the message again. */
        FAILED
    }

    /** What a settlement got. */
    public record Settlement(Outcome outcome, String detail) {
        public boolean done() {
            return outcome == Outcome.DONE;
        }
    }

    /** The three ways to settle a received message. */
    public enum Action {
        /** Delivered: deleted from the queue. */
        COMPLETE,
        /** Never deliverable: dead-lettered. */
        REJECT,
        /** Not now: put back in the queue, its delivery count raised. */
        ABANDON
    }

    /**
     * Whether a receive can be tried at all: the device has a link (its telemetry just went through it). Costs one
     * cache lookup.
     */
    public boolean linked(String deviceId) {
        return links.cached(deviceId) != null;
    }

    /** {@code GET /devices/{id}/messages/deviceBound}: the next message of the device's queue, if any. */
    public CompletableFuture<Receipt> receive(String deviceId, Duration timeout) {
        DeviceLink link = links.cached(deviceId);
        if (link == null) {
            return CompletableFuture.completedFuture(new Unavailable(0, "no hub link is cached for the device"));
        }
        String path = "/devices/" + HubEndpoint.encodedId(deviceId) + "/messages/deviceBound?api-version=" + apiVersion;
        return http.request(HttpMethod.GET, link.hub.origin, path, headers(link), new byte[0], nanos(timeout),
                PooledHttpClient.MAX_ANSWER_BYTES).handle((answer, failure) -> {
                    if (failure != null) {
                        return new Unavailable(0, "no answer from hub " + link.hub + " ("
                                + Completion.cause(failure).getClass().getSimpleName() + ")");
                    }
                    if (answer.status() == 204) {
                        return new Empty();
                    }
                    if (answer.status() != 200) {
                        return new Unavailable(answer.status(), "hub " + link.hub + " answered " + error(answer));
                    }
                    String etag = answer.headers().get("ETag");
                    if (etag == null || unquoted(etag).isEmpty()) {
                        return new Unavailable(200, "hub " + link.hub + " sent a message without an ETag (its lock)");
                    }
                    return new Received(message(deviceId, unquoted(etag), answer, link));
                });
    }

    /**
     * Settles a message received from this client: complete {@code DELETE .../deviceBound/{lock}}, reject
     * {@code DELETE .../deviceBound/{lock}?reject}, abandon {@code POST .../deviceBound/{lock}/abandon}.
     */
    public CompletableFuture<Settlement> settle(CloudToDeviceMessage message, Action action, Duration timeout) {
        DeviceLink link = message.link;
        if (link == null) {
            throw new IllegalArgumentException("only a message received from a hub can be settled");
        }
        String lock = URLEncoder.encode(message.lockToken(), StandardCharsets.UTF_8);
        String base = "/devices/" + HubEndpoint.encodedId(message.deviceId()) + "/messages/deviceBound/" + lock;
        HttpMethod method;
        String path;
        switch (action) {
            case COMPLETE -> {
                method = HttpMethod.DELETE;
                path = base + "?api-version=" + apiVersion;
            }
            case REJECT -> {
                method = HttpMethod.DELETE;
                path = base + "?reject&api-version=" + apiVersion;
            }
            default -> {
                method = HttpMethod.POST;
                path = base + "/abandon?api-version=" + apiVersion;
            }
        }
        // the SDKs also name the lock in If-Match; the REST reference names it in the path
        HttpHeaders headers = headers(link).add("If-Match", message.lockToken());
        return http.request(method, link.hub.origin, path, headers, new byte[0], nanos(timeout)).handle((answer, failure) -> {
            if (failure != null) {
                return new Settlement(Outcome.FAILED, "no answer from hub " + link.hub + " ("
                        + Completion.cause(failure).getClass().getSimpleName() + ")");
            }
            if (answer.successful()) {
                return new Settlement(Outcome.DONE, "HTTP " + answer.status());
            }
            if (answer.status() == 412 || answer.status() == 404) {
                return new Settlement(Outcome.LOCK_LOST, error(answer));
            }
            return new Settlement(Outcome.FAILED, error(answer));
        });
    }

    private HttpHeaders headers(DeviceLink link) {
        return new DefaultHttpHeaders(false).add("Authorization", link.authorization(clock.millis() / 1000, tokenTtlSeconds));
    }

    private static CloudToDeviceMessage message(String deviceId, String lock, ReceivedResponse answer, DeviceLink link) {
        Map<String, String> properties = new LinkedHashMap<>();
        Optional<String> messageId = Optional.empty();
        Optional<String> expiry = Optional.empty();
        OptionalInt deliveries = OptionalInt.empty();
        for (Iterator<Map.Entry<String, String>> it = answer.headers().iteratorAsString(); it.hasNext(); ) {
            Map.Entry<String, String> h = it.next();
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (name.startsWith(APP_PREFIX)) {
                properties.put(name.substring(APP_PREFIX.length()), h.getValue());
            } else if (name.equals("iothub-messageid")) {
                messageId = Optional.of(h.getValue());
            } else if (name.equals("iothub-expiry")) {
                expiry = Optional.of(h.getValue());
            } else if (name.equals("iothub-deliverycount")) {
                try {
                    deliveries = OptionalInt.of(Integer.parseInt(h.getValue().trim()));
                } catch (NumberFormatException e) {
                    // informational only
                }
            }
        }
        return new CloudToDeviceMessage(deviceId, lock, answer.body(), properties, messageId, expiry, deliveries, link);
    }

    private String error(ReceivedResponse answer) {
        int code = HubErrorCodes.find(new String(answer.body(), StandardCharsets.UTF_8),
                answer.headers().get("iothub-errorcode"), json);
        return code > 0 ? "HTTP " + answer.status() + ", error " + code : "HTTP " + answer.status();
    }

    /** {@code "abc"} and {@code W/"abc"} name the lock {@code abc}. */
    static String unquoted(String etag) {
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    private static long nanos(Duration timeout) {
        return Math.max(1, timeout.toNanos());
    }
}
