package dev.iotcbridge.queue;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * How long a message that failed transiently stays invisible before its next delivery: doubling with each failure up
 * to a cap, with jitter so that messages failed by one outage do not all come back at once, and never shorter than
 * the hub's Retry-After. Rounded up to whole seconds, the granularity of a Storage queue's visibility timeout, so a
 * wait never rounds down to an immediate redelivery.
 */
public final class Backoff {

    /** Storage keeps a message invisible for at most 7 days. */
    static final Duration LONGEST = Duration.ofDays(7);

    private final Duration first;
    private final Duration max;
    private final RandomGenerator random;

    public Backoff(Duration first, Duration max, RandomGenerator random) {
        this.first = Objects.requireNonNull(first, "first");
        this.max = Objects.requireNonNull(max, "max");
        this.random = Objects.requireNonNull(random, "random");
        if (first.isNegative() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("need 0 <= first <= max, was " + first + " and " + max);
        }
    }

    /**
     * @param failures   deliveries of this message that failed so far, at least 1
     * @param retryAfter what the hub asked for, if anything
     */
    public Duration after(long failures, Optional<Duration> retryAfter) {
        long exp = Math.min(max.toMillis(), saturatedShift(first.toMillis(), Math.max(failures, 1) - 1));
        // "equal jitter": at least half the exponential wait, so back-off still grows
        long jittered = exp == 0 ? 0 : exp / 2 + random.nextLong(exp - exp / 2 + 1);
        long wanted = Math.max(jittered, retryAfter.map(Duration::toMillis).orElse(0L));
        long seconds = Math.min((wanted + 999) / 1000, LONGEST.toSeconds());
        return Duration.ofSeconds(seconds);
    }

    private static long saturatedShift(long value, long shift) {
        if (value == 0) {
            return 0;
        }
        return shift >= Long.numberOfLeadingZeros(value) ? Long.MAX_VALUE : value << shift;
    }
}
