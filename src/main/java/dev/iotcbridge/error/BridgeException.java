package dev.iotcbridge.error;

import java.time.Duration;
import java.util.Optional;

/**
 * Every failure the bridge answers a caller with. The message is written for the webhook sender
 * (it is shown in their console, e.g. The Things Stack's {@code as.webhook.fail} events), so it must
 * name what is wrong and must never carry a key or a token.
 */
public abstract sealed class BridgeException extends RuntimeException
        permits BadInputException, DeviceRefusedException, TryLaterException, BridgeFaultException {

    private final int status;

    protected BridgeException(int status, String safeMessage, Throwable cause, boolean withStackTrace) {
        super(safeMessage, cause, false, withStackTrace);
        this.status = status;
    }

    /** The HTTP status the caller is answered with. */
    public final int status() {
        return status;
    }

    /**
     * A wait as the whole seconds of an HTTP Retry-After: rounded up, so a caller never comes back too early, and
     * at least 1, since 0 would invite an immediate retry.
     */
    public static long wholeSeconds(Duration wait) {
        return Math.max(1, (wait.toMillis() + 999) / 1000);
    }

    /** How long the caller should wait before it tries again, when that is known. */
    public Optional<Duration> retryAfter() {
        return Optional.empty();
    }

    /** Whether trying the same input again later can succeed (a durable queue keeps such messages). */
    public boolean retryable() {
        return false;
    }
}
