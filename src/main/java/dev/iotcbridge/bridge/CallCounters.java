package dev.iotcbridge.bridge;

import dev.iotcbridge.iot.FleetCounters;
import dev.iotcbridge.iot.TelemetrySender;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the handler counts, for an operator's charts: messages delivered, queued, failed (by the status each failure
 * carries) and calls rejected before any message (by status). Counting is a few uncontended additions per call; an
 * adapter takes the counts at intervals ({@link #drain()}) and logs them as one line.
 */
public final class CallCounters {

    private final LongAdder delivered = new LongAdder();
    private final LongAdder queued = new LongAdder();
    private final AtomicLongArray failed = new AtomicLongArray(600);
    private final AtomicLongArray rejected = new AtomicLongArray(600);
    /** The sender's own counts (DPS registrations, re-provisionings...), drained into the same line. */
    private final TelemetrySender fleet;

    CallCounters(TelemetrySender fleet) {
        this.fleet = fleet;
    }

    void delivered() {
        delivered.increment();
    }

    void queued(int messages) {
        queued.add(messages);
    }

    void failed(int status) {
        failed.incrementAndGet(index(status));
    }

    void rejected(int status) {
        rejected.incrementAndGet(index(status));
    }

    private static int index(int status) {
        return status >= 100 && status < 600 ? status : 0;
    }

    /** The counts since the last drain, reset to zero. */
    public Counts drain() {
        return new Counts(delivered.sumThenReset(), queued.sumThenReset(), drain(failed), drain(rejected), fleet.drainFleet());
    }

    private static Map<Integer, Long> drain(AtomicLongArray byStatus) {
        Map<Integer, Long> counts = new TreeMap<>();
        for (int s = 0; s < byStatus.length(); s++) {
            if (byStatus.get(s) != 0) {
                long n = byStatus.getAndSet(s, 0);
                if (n != 0) {
                    counts.put(s, n);
                }
            }
        }
        return counts;
    }

    /** Counts over an interval; {@code failed} and {@code rejected} by HTTP status. */
    public record Counts(long delivered, long queued, Map<Integer, Long> failed, Map<Integer, Long> rejected,
                         FleetCounters.Counts fleet) {

        public Counts {
            failed = Map.copyOf(failed);
            rejected = Map.copyOf(rejected);
        }

        public boolean isEmpty() {
            return delivered == 0 && queued == 0 && failed.isEmpty() && rejected.isEmpty() && fleet.isEmpty();
        }

        /**
         * As {@code key=value} pairs, e.g. {@code delivered=120 queued=0 failed=3 failed503=2 failed429=1 rejected=0},
         * then the sender's {@link FleetCounters.Counts#fields()} when it counts any.
         */
        public String fields() {
            StringBuilder b = new StringBuilder("delivered=").append(delivered).append(" queued=").append(queued);
            append(b, "failed", failed);
            append(b, "rejected", rejected);
            if (fleet != FleetCounters.Counts.NONE) {
                b.append(' ').append(fleet.fields());
            }
            return b.toString();
        }

        private static void append(StringBuilder b, String name, Map<Integer, Long> byStatus) {
            b.append(' ').append(name).append('=').append(byStatus.values().stream().mapToLong(Long::longValue).sum());
            new TreeMap<>(byStatus).forEach((status, n) -> b.append(' ').append(name).append(status).append('=').append(n));
        }
    }
}
