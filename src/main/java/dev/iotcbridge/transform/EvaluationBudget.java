package dev.iotcbridge.transform;

/**
 * The CPU and allocation budget of one transform call, checked cooperatively.
 *
 * <p>jackson-jq has no interruption hook, but it resolves every function call through the {@code Scope} at run
 * time, and the built-ins (range, repeat, recurse, limit, until, while, map, reduce's sources ...) live in our root
 * scope. {@link BudgetedFunction} wraps each of them so that each call and each value they emit ticks the budget of
 * the current call (a thread-local set around the evaluation). The thread's allocated bytes are read at every tick
 * (on HotSpot a read of a per-thread counter, no system call): a transform may need only a few dozen ticks to build
 * a huge value when each step doubles it ({@code reduce range(40) as $i ("x"; . + .)} reaches 2^40 bytes in 40
 * ticks), so sampling memory every 256 ticks would let it exhaust the heap. CPU time, a system call to read, is
 * sampled every 256 ticks. Past either budget, evaluation stops with {@link Exceeded}, a RuntimeException, so that a
 * jq {@code try} (which catches JsonQueryException only) cannot swallow it. A small transform never reaches 256 ticks
 * and never reads the CPU clock.
 *
 * <p>Not covered: iteration that calls no function at all (e.g. {@code [.[] as $a | .[] as $b | .[] | 1]}), which is
 * bounded by the size of the body only, and one single built-in step that is itself huge (a multiplication of a
 * string by 1e9, {@code tostring} of a value exponentially larger than its source): such a step cannot be interrupted.
 * When the heap cannot hold what such a step asks for, its OutOfMemoryError is answered like an exceeded budget
 * (see {@link JqRouteTransform}).
 * Runaway recursion of a user-defined function ({@code def f: f; f}) ends in a StackOverflowError, which the
 * transform catches and reports like an exceeded budget.
 */
final class EvaluationBudget {

    private static final ThreadLocal<EvaluationBudget> CURRENT = new ThreadLocal<>();
    private static final int SAMPLE_MASK = 0xff;

    private final TransformLimits limits;
    private int ticks;
    private long cpuStart = Long.MIN_VALUE;
    private long allocationStart = -1;

    EvaluationBudget(TransformLimits limits) {
        this.limits = limits;
    }

    static EvaluationBudget current() {
        return CURRENT.get();
    }

    /** Makes this the budget of the calling thread; returns the one it replaces, to restore afterwards. */
    EvaluationBudget enter() {
        EvaluationBudget previous = CURRENT.get();
        CURRENT.set(this);
        return previous;
    }

    static void restore(EvaluationBudget previous) {
        if (previous == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(previous);
        }
    }

    void tick() {
        long allocated = limits.meter().allocatedBytes();
        if (allocated >= 0) {
            if (allocationStart < 0) {
                allocationStart = allocated;
            } else if (allocated - allocationStart > limits.allocationBudget()) {
                throw new Exceeded("allocated more than its memory budget of " + (limits.allocationBudget() >> 20) + " MB");
            }
        }
        if ((++ticks & SAMPLE_MASK) == 0) {
            sampleCpu();
        }
    }

    /**
     * The CPU clock is first read at the first sample rather than at the start of every call: reading thread CPU
     * time is a system call, and most calls never get here. The CPU budget thus starts after the first 256 ticks.
     */
    private void sampleCpu() {
        long cpu = limits.meter().cpuNanos();
        if (cpuStart == Long.MIN_VALUE) {
            cpuStart = cpu;
            return;
        }
        if (cpu - cpuStart > limits.cpuBudget().toNanos()) {
            throw new Exceeded("used more than its CPU budget of " + limits.cpuBudget().toMillis() + " ms");
        }
    }

    /** The call ran out of budget; deliberately not a JsonQueryException. */
    static final class Exceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Exceeded(String message) {
            super(message, null, false, false);
        }
    }
}
