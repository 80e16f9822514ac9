package dev.iotcbridge.iot;

import dev.iotcbridge.net.Origin;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * One IoT hub as DPS named it ({@code assignedHub}: {@code name.azure-devices.net}, or {@code 127.0.0.1:port} for a
 * simulator). One instance per hub, shared by every device link assigned to it, so a cached device pays one
 * reference for its hub.
 */
final class HubEndpoint {

    /**
     * A DNS name or IPv4 address and an optional port: nothing a URL parser would read as user info, path or query.
     * Each label 1 to 63 letters, digits and inner hyphens (RFC 1123 §2.1); the whole name at most 253 characters.
     */
    private static final Pattern HOST_PORT = Pattern.compile(
            "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?");

    /** Exactly DPS's {@code assignedHub}: the token's {@code sr} is signed over it. */
    final String name;
    /** Where the hub's connections go; the connection pool is keyed on it. */
    final Origin origin;
    private final String apiVersion;

    /** @throws IllegalArgumentException when {@code name} is not a host[:port] */
    HubEndpoint(String name, String scheme, String apiVersion) {
        this.name = name;
        if (!HOST_PORT.matcher(name).matches() || !dnsLengths(name)) {
            throw new IllegalArgumentException("DPS assigned a hub that is not a host[:port]");
        }
        this.origin = Origin.of(scheme, name);
        this.apiVersion = URLEncoder.encode(apiVersion, StandardCharsets.UTF_8);
    }

    /**
     * {@code /devices/{id}/messages/events?api-version=...}, the id URL-encoded as docs/azure-protocol.md §3.1 asks. Built once per
     * device link ({@link DeviceLink#events}), never per message.
     */
    String events(String deviceId) {
        return "/devices/" + encodedId(deviceId) + "/messages/events?api-version=" + apiVersion;
    }

    /**
     * A device or registration id as one path segment, encoded like the SDKs and the token's {@code sr} (docs/azure-protocol.md
     * §1.3): {@code plant:7.a_b-} becomes {@code plant%3A7.a_b-}. Valid ids (§2.2, §3.2) hold no space, so
     * URLEncoder's '+' for a space never arises.
     */
    static String encodedId(String id) {
        return URLEncoder.encode(id, StandardCharsets.UTF_8);
    }

    /** RFC 1035 §2.3.4: at most 253 characters in all (the pattern bounds each label). */
    private static boolean dnsLengths(String hostPort) {
        int colon = hostPort.indexOf(':');
        return (colon < 0 ? hostPort.length() : colon) <= 253;
    }

    @Override
    public String toString() {
        return name;
    }
}
