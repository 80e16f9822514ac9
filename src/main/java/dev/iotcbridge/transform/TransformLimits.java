package dev.iotcbridge.transform;

import java.time.Duration;
import java.util.Objects;

/**
 * What one transform call may spend before it is stopped (and answered 500): CPU time of the calling thread, and
 * bytes allocated by it. Checked at every output of every built-in function call (see {@link EvaluationBudget}).
 *
 * @param cpuBudget       CPU time one call may use
 * @param allocationBudget bytes one call may allocate (a proxy for "builds a huge value"); checked only where the JVM
 *                        reports per-thread allocation (HotSpot does)
 * @param meter           where CPU time and allocation are read; {@link ThreadMeter#current()} outside tests
 */
record TransformLimits(Duration cpuBudget, long allocationBudget, ThreadMeter meter) {

    /** 250 ms of CPU: a hundred thousand times what a webhook transform needs, and far below the senders' timeouts. */
    public static final Duration DEFAULT_CPU_BUDGET = Duration.ofMillis(250);
    /** 64 MB: a hundred times the largest body the bridge accepts, far below a Function instance's heap. */
    public static final long DEFAULT_ALLOCATION_BUDGET = 64L * 1024 * 1024;

    public TransformLimits {
        Objects.requireNonNull(cpuBudget, "cpuBudget");
        Objects.requireNonNull(meter, "meter");
        if (cpuBudget.isNegative() || cpuBudget.isZero() || allocationBudget <= 0) {
            throw new IllegalArgumentException("transform budgets must be positive");
        }
    }

    public static TransformLimits defaults() {
        return new TransformLimits(DEFAULT_CPU_BUDGET, DEFAULT_ALLOCATION_BUDGET, ThreadMeter.current());
    }
}
