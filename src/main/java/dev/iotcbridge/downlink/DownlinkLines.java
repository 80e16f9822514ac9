package dev.iotcbridge.downlink;

import dev.iotcbridge.transform.RouteTransform;

/** The downlink's log lines are key=value fields like the handler's per-message lines, a failure's reason last. */
final class DownlinkLines {

    private DownlinkLines() {
    }

    static String line(RouteTransform route, String deviceId, String outcome) {
        return "route=" + route.route() + " device=" + deviceId + " downlink=" + outcome;
    }

    /** A failure's reason as the handler's lines end: {@code error="..."}, quoted, last. */
    static String error(String reason) {
        return " error=\"" + String.valueOf(reason).replace('"', '\'') + "\"";
    }
}
