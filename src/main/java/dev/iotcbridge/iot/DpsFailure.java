package dev.iotcbridge.iot;

import dev.iotcbridge.iot.DpsPolicy.Verdict;
import java.time.Duration;

/**
 * A DPS request that did not end in an assignment, with the {@link DpsPolicy} verdict that says why. Internal: at the
 * boundary it becomes one of the caller-facing {@code dev.iotcbridge.error} types (see {@link DeviceLinks}).
 */
final class DpsFailure extends Exception {

    final Verdict verdict;
    /** HTTP status, 0 when DPS gave none (unreachable) or when an operation ended with a failed status. */
    final int status;
    /** DPS's numeric error code, 0 when unknown. */
    final int errorCode;
    /** DPS's Retry-After, or null. */
    final Duration retryAfter;

    DpsFailure(Verdict verdict, int status, int errorCode, Duration retryAfter, String message, Throwable cause) {
        super(message, cause, false, false);
        if (verdict == Verdict.ASSIGNED || verdict == Verdict.ASSIGNING || verdict == Verdict.UNKNOWN_DEVICE) {
            throw new IllegalArgumentException(verdict + " is not a failure");
        }
        this.verdict = verdict;
        this.status = status;
        this.errorCode = errorCode;
        this.retryAfter = retryAfter;
    }

    boolean transientFailure() {
        return verdict.transientFailure();
    }

    /** DPS's Retry-After when it asks for a real wait: 0 or a date already past is no guidance (it made a 429 loop). */
    Duration usableRetryAfter() {
        return retryAfter != null && !retryAfter.isZero() && !retryAfter.isNegative() ? retryAfter : null;
    }

    /** "HTTP 429, error 429001" or "status failed, error 400209": for messages and logs, never secret. */
    String detail() {
        String s = status > 0 ? "HTTP " + status : getMessage();
        return errorCode > 0 ? s + ", error " + errorCode : s;
    }
}
