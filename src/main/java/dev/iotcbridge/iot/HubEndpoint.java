package dev.iotcbridge.iot;

import okhttp3.HttpUrl;

/**
 * One IoT hub as DPS named it ({@code assignedHub}: {@code name.azure-devices.net}, or {@code 127.0.0.1:port} for a
 * simulator). One instance per hub, shared by every device link assigned to it, so a cached device pays one
 * reference for its hub.
 */
final class HubEndpoint {

    /** Exactly DPS's {@code assignedHub}: the token's {@code sr} is signed over it. */
    final String name;
    private final HttpUrl devices;
    private final String apiVersion;

    HubEndpoint(String name, String scheme, String apiVersion) {
        this.name = name;
        HttpUrl parsed = HttpUrl.parse(scheme + "://" + name + "/devices");
        if (parsed == null || !parsed.encodedPath().equals("/devices")) {
            throw new IllegalArgumentException("DPS assigned a hub that is not a host[:port]: '" + name + "'");
        }
        this.devices = parsed;
        this.apiVersion = apiVersion;
    }

    /** {@code /devices/{id}/messages/events?api-version=...}, the id percent-encoded as one path segment. */
    HttpUrl events(String deviceId) {
        return devices.newBuilder()
                .addPathSegment(deviceId)
                .addPathSegment("messages")
                .addPathSegment("events")
                .addQueryParameter("api-version", apiVersion)
                .build();
    }

    @Override
    public String toString() {
        return name;
    }
}
