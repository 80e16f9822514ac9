package dev.iotcbridge.iot;

import com.github.benmanes.caffeine.cache.Ticker;

/**
 * A token bucket on the injected ticker: {@code burst} tokens at once, refilled at {@code perMinute}. A caller
 * reserves a token and is told when it is its turn: now, or a wait it spends as a scheduled task, keeping its place.
 * Reservations beyond a horizon are refused without taking a token, so the queue it stands for stays bounded.
 *
 * <p>Kept as credit in nanoseconds (one token is {@code 60 s / perMinute} of credit, the bucket holds {@code burst}
 * tokens of it): exact integer arithmetic, and a wait is simply the credit a reservation is short of.
 */
final class TokenBucket {

    private final Ticker ticker;
    private final long nanosPerToken;
    private final long capacityNanos;
    private long credit;
    private long lastNanos;

    /**
     * @throws IllegalArgumentException unless both are positive
     */
    TokenBucket(int perMinute, int burst, Ticker ticker) {
        if (perMinute <= 0 || burst <= 0) {
            throw new IllegalArgumentException("a token bucket needs a positive rate and burst, was " + perMinute + "/min, " + burst);
        }
        this.ticker = ticker;
        this.nanosPerToken = 60_000_000_000L / perMinute;
        this.capacityNanos = nanosPerToken * burst;
        this.credit = capacityNanos;
        this.lastNanos = ticker.read();
    }

    /**
     * Takes a token if its turn comes within {@code horizonNanos}.
     *
     * @return the wait until the token is this caller's: 0 for now; or, when the turn is further away than the
     *         horizon, minus that wait (nothing reserved)
     */
    synchronized long reserve(long horizonNanos) {
        refill();
        long after = credit - nanosPerToken;
        long wait = after >= 0 ? 0 : -after;
        if (wait > horizonNanos) {
            return -wait;
        }
        credit = after;
        return wait;
    }

    /** Tokens that could be taken now without waiting (for tests and diagnostics). */
    synchronized long available() {
        refill();
        return Math.max(0, credit / nanosPerToken);
    }

    private void refill() {
        long now = ticker.read();
        long elapsed = now - lastNanos;
        if (elapsed > 0) {
            credit = Math.min(capacityNanos, credit + elapsed);
            lastNanos = now;
        }
    }
}
