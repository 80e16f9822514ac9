package dev.iotcbridge.error;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The data did not reach the hub, but may later: throttling (429) or an outage, a slow registration or an
 * exhausted time budget (503). Always carries Retry-After so that senders which retry wait long enough.
 */
public final class TryLaterException extends BridgeException {

    private final Duration retryAfter;

    public TryLaterException(int status, String safeMessage, Duration retryAfter, Throwable cause) {
        super(checkStatus(status), safeMessage, cause, cause != null);
        this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
    }

    public TryLaterException(int status, String safeMessage, Duration retryAfter) {
        this(status, safeMessage, retryAfter, null);
    }

    @Override
    public Optional<Duration> retryAfter() {
        return Optional.of(retryAfter);
    }

    @Override
    public boolean retryable() {
        return true;
    }

    private static int checkStatus(int status) {
        if (status != 429 && status != 503) {
            throw new IllegalArgumentException("try-later answers 429 or 503, not " + status);
        }
        return status;
    }
}
