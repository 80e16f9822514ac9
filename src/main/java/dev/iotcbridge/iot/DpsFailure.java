package dev.iotcbridge.iot;

import java.time.Duration;

/**
 * Why DPS did not assign a device, as the provisioning code needs to tell the cases apart. Internal: at the
 * boundary it becomes one of the caller-facing {@code dev.iotcbridge.error} types (see {@link DeviceLinks}).
 */
final class DpsFailure extends Exception {

    enum Kind {
        /** 401: the group key (hence the device key) is not accepted; try the secondary key. */
        UNAUTHORIZED,
        /** {@code failed}+400209, {@code disabled}, 403: an operator blocked the device or it awaits approval. */
        REFUSED,
        /** 400 + 400004: DPS rejects the registration id itself. */
        BAD_ID,
        /** DPS throttles (429). */
        THROTTLED,
        /** 5xx, unreachable, timed out: may work later. */
        TRANSIENT,
        /** Anything else DPS did that the bridge cannot fix by retrying: wrong scope (404), other failed statuses. */
        FAILED
    }

    final Kind kind;
    /** HTTP status, 0 when DPS gave none (unreachable) or when an operation ended {@code failed}. */
    final int status;
    /** DPS's numeric error code, 0 when unknown. */
    final int errorCode;
    /** DPS's Retry-After, or null. */
    final Duration retryAfter;

    DpsFailure(Kind kind, int status, int errorCode, Duration retryAfter, String message, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
        this.status = status;
        this.errorCode = errorCode;
        this.retryAfter = retryAfter;
    }

    boolean transientFailure() {
        return kind == Kind.THROTTLED || kind == Kind.TRANSIENT;
    }

    /** "HTTP 429, error 429001" or "status failed, error 400209": for messages and logs, never secret. */
    String detail() {
        String s = status > 0 ? "HTTP " + status : getMessage();
        return errorCode > 0 ? s + ", error " + errorCode : s;
    }
}
