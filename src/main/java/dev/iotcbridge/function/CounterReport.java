package dev.iotcbridge.function;

import dev.iotcbridge.bridge.CallCounters;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The handler's counters as one log line per {@link #PERIOD} at most ({@code counters periodSeconds=61 delivered=120
 * queued=0 failed=3 failed503=2 ...}), written through an invocation's logger after a call, so that it reaches
 * Application Insights (the host keeps a worker's log only while its invocation runs). Idle instances write nothing.
 */
final class CounterReport {

    static final Duration PERIOD = Duration.ofMinutes(1);
    /** The report of this Function instance: one handler, one line a minute. */
    static final CounterReport SHARED = new CounterReport(System::nanoTime);

    private final LongSupplier nanoTime;
    private final AtomicLong since;

    CounterReport(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.since = new AtomicLong(nanoTime.getAsLong());
    }

    void maybeReport(CallCounters counters, Logger log) {
        long now = nanoTime.getAsLong();
        long last = since.get();
        if (now - last < PERIOD.toNanos() || !since.compareAndSet(last, now)) {
            return; // not yet, or another call is reporting
        }
        CallCounters.Counts counts = counters.drain();
        if (!counts.isEmpty()) {
            log.info("counters periodSeconds=" + Duration.ofNanos(now - last).toSeconds() + " " + counts.fields());
        }
    }
}
