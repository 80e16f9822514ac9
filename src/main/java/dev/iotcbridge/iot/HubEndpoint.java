package dev.iotcbridge.iot;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;

/**
 * One IoT hub as DPS named it ({@code assignedHub}: {@code name.azure-devices.net}, or {@code 127.0.0.1:port} for a
 * simulator). One instance per hub, shared by every device link assigned to it, so a cached device pays one
 * reference for its hub.
 */
final class HubEndpoint {

    /** A DNS name or IPv4 address and an optional port: nothing a URL parser would read as user info, path or query. */
    private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?");

    /** Exactly DPS's {@code assignedHub}: the token's {@code sr} is signed over it. */
    final String name;
    private final HttpUrl devices;
    private final String apiVersion;

    /** @throws IllegalArgumentException when {@code name} is not a host[:port] */
    HubEndpoint(String name, String scheme, String apiVersion) {
        this.name = name;
        HttpUrl parsed = HOST_PORT.matcher(name).matches() ? HttpUrl.parse(scheme + "://" + name + "/devices") : null;
        if (parsed == null || !parsed.encodedPath().equals("/devices")) {
            throw new IllegalArgumentException("DPS assigned a hub that is not a host[:port]: '" + name + "'");
        }
        this.devices = parsed;
        this.apiVersion = apiVersion;
    }

    /**
     * {@code /devices/{id}/messages/events?api-version=...}, the id URL-encoded as reference §4.1 asks. Built once per
     * device link ({@link DeviceLink#events}), never per message.
     */
    HttpUrl events(String deviceId) {
        return devices.newBuilder()
                .addEncodedPathSegment(encodedId(deviceId))
                .addPathSegment("messages")
                .addPathSegment("events")
                .addQueryParameter("api-version", apiVersion)
                .build();
    }

    /**
     * A device or registration id as one path segment, encoded like the SDKs and the token's {@code sr} (reference
     * §2.1, §2.3): {@code plant:7.a_b-} becomes {@code plant%3A7.a_b-}. OkHttp's {@code addPathSegment} would leave
     * the ':' as is. Valid ids (reference §6) hold no space, so URLEncoder's '+' for a space never arises.
     */
    static String encodedId(String id) {
        return URLEncoder.encode(id, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return name;
    }
}
