package dev.iotcbridge.bridge;

import dev.iotcbridge.error.BridgeException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The one status a call answers when some of its messages failed. A webhook sender only sees one status
 * for the whole call, so whatever can still succeed must win: a sender retries on 5xx and 429 and gives up
 * on 4xx, and a retry is the only way the undelivered messages are not lost. Messages that did reach the
 * hub are sent again on that retry with the same messageId, so the hub side can de-duplicate them.
 */
final class CallStatus {

    private CallStatus() {
    }

    /** The failure that decides the call's status, or empty when every message was delivered. */
    static Optional<BridgeException> decisive(List<MessageResult> results) {
        BridgeException worst = null;
        for (MessageResult r : results) {
            if (r.failure().isPresent() && (worst == null || rank(r.failure().get()) > rank(worst))) {
                worst = r.failure().get();
            }
        }
        return Optional.ofNullable(worst);
    }

    /** The longest Retry-After among the failures, so one retry can serve them all. */
    static Optional<Duration> retryAfter(List<MessageResult> results) {
        return results.stream()
                .flatMap(r -> r.failure().flatMap(BridgeException::retryAfter).stream())
                .max(Duration::compareTo);
    }

    /**
     * Retryable before permanent; among retryable ones, an outage (503) before a fault of ours (5xx) before
     * throttling (429); among permanent ones, a blocked device (403) before input errors, since a retry
     * after the operator unblocks it can succeed.
     */
    private static int rank(BridgeException e) {
        int status = e.status();
        if (e.retryable()) {
            return status == 503 ? 60 : status >= 500 ? 50 : 40;
        }
        return status == 403 ? 30 : 20;
    }
}
