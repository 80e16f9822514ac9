package dev.iotcbridge.iot;

import java.io.IOException;
import java.time.Duration;

/**
 * What one send-event attempt got: a status with IoT Hub's numeric error code (docs/azure-protocol.md §3), or no answer at all.
 *
 * @param status     HTTP status, 0 when the hub could not be reached (DNS, connect, TLS, timeout)
 * @param errorCode  IoT Hub's 6-digit code (404001, 403002...), 0 when unknown
 * @param retryAfter the hub's Retry-After, or null
 * @param failure    why the hub could not be reached, or null
 */
record HubReply(int status, int errorCode, Duration retryAfter, IOException failure) {

    static final HubReply ACCEPTED = new HubReply(204, 0, null, null);

    static HubReply unreachable(IOException e) {
        return new HubReply(0, 0, null, e);
    }

    boolean reached() {
        return status != 0;
    }

    /** "HTTP 404, error 404001" or "no answer (ConnectException)": for messages and logs. */
    String detail() {
        if (!reached()) {
            return "no answer (" + (failure == null ? "unknown" : failure.getClass().getSimpleName()) + ")";
        }
        return errorCode > 0 ? "HTTP " + status + ", error " + errorCode : "HTTP " + status;
    }
}
