package dev.iotcbridge.iot;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential back-off with full jitter, the one formula behind every wait the bridge chooses itself: between hub
 * attempts, between DPS attempts, and before a durable-mode message is delivered again. Full jitter (a uniform draw
 * between zero and the exponential ceiling) because the waits that matter are those of many devices failed by one
 * outage: spreading them over the whole window is what keeps their retries from arriving together (Microsoft's
 * device-reconnection guidance, docs/azure-protocol.md §3). A server's Retry-After is a floor, never shortened.
 */
public final class Backoff {

    private final Duration first;
    private final Duration max;
    private final RandomGenerator random;

    /**
     * @param first  the ceiling of the first wait
     * @param max    the largest ceiling: the doubling stops there
     * @param random the jitter's source: injected so that tests choose the draw
     * @throws IllegalArgumentException unless {@code 0 < first <= max}
     */
    public Backoff(Duration first, Duration max, RandomGenerator random) {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(max, "max");
        this.random = Objects.requireNonNull(random, "random");
        if (first.isNegative() || first.isZero()) {
            throw new IllegalArgumentException("the first back-off must be positive, was " + first);
        }
        if (max.compareTo(first) < 0) {
            throw new IllegalArgumentException("the largest back-off (" + max + ") must not be less than the first (" + first + ")");
        }
        this.first = first;
        this.max = max;
    }

    /** The ceiling of the wait after {@code failures} failures (at least 1): first, doubled each time, capped. */
    public Duration ceiling(long failures) {
        long n = Math.max(failures, 1) - 1;
        long firstMs = Math.max(1, first.toMillis());
        long ms = n >= Long.numberOfLeadingZeros(firstMs) ? Long.MAX_VALUE : firstMs << n;
        return Duration.ofMillis(Math.min(ms, max.toMillis()));
    }

    /** A wait drawn uniformly from zero to {@link #ceiling}. */
    public Duration delay(long failures) {
        long ceiling = ceiling(failures).toMillis();
        return Duration.ofMillis(random.nextLong(ceiling + 1));
    }

    /** {@link #delay}, but never shorter than what the server asked for ({@code retryAfter}, may be null). */
    public Duration delay(long failures, Duration retryAfter) {
        Duration d = delay(failures);
        return retryAfter != null && retryAfter.compareTo(d) > 0 ? retryAfter : d;
    }
}
