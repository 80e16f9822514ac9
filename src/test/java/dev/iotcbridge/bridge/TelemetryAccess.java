package dev.iotcbridge.bridge;

import java.util.logging.Level;

/** Lets tests of other packages call {@link CallTelemetry} as the handler does for one delivered message. */
public final class TelemetryAccess {

    private TelemetryAccess() {
    }

    public static boolean message(CallTelemetry telemetry, String route, String device, int status, long latencyNanos) {
        return telemetry.message(telemetry.callContext(), Level.INFO, route, device, "delivered", status, latencyNanos, null);
    }
}
