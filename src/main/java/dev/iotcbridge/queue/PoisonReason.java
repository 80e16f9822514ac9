package dev.iotcbridge.queue;

import java.time.Instant;
import java.util.Objects;

/**
 * Why a queued message was given up: the status the bridge would have answered, the safe message that names the
 * problem (never a key or token), how many deliveries were tried and when the last one failed.
 */
public record PoisonReason(int status, String error, long attempts, Instant failedAt) {

    /** Longest error kept, so that a poison entry still fits one queue message beside its item. */
    static final int MAX_ERROR_CHARS = 200;

    public PoisonReason {
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(failedAt, "failedAt");
        if (error.length() > MAX_ERROR_CHARS) {
            error = error.substring(0, MAX_ERROR_CHARS - 3) + "...";
        }
    }
}
