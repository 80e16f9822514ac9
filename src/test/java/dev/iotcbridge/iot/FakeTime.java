package dev.iotcbridge.iot;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/** One test clock for wall time (InstantSource) and elapsed time (Caffeine Ticker); only tests move it. */
final class FakeTime implements InstantSource, Ticker {

    private final Instant start;
    private final AtomicLong elapsed = new AtomicLong();

    FakeTime(Instant start) {
        this.start = start;
    }

    @Override
    public Instant instant() {
        return start.plusNanos(elapsed.get());
    }

    @Override
    public long read() {
        return elapsed.get();
    }

    void advance(Duration d) {
        elapsed.addAndGet(d.toNanos());
    }

    long epochSecond() {
        return instant().getEpochSecond();
    }
}
