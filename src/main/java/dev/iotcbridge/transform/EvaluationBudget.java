package dev.iotcbridge.transform;

/**
 * The CPU and allocation budget of one transform call, checked cooperatively.
 *
 * <p>jackson-jq has no interruption hook, but it resolves every function call through the {@code Scope} at run
 * time, and the built-ins (range, repeat, recurse, limit, until, while, map, reduce's sources ...) live in our root
 * scope. {@link BudgetedFunction} wraps each of them so that each call and each value they emit ticks the budget of
 * the current call (a thread-local set around the evaluation). Every 256 ticks the thread's CPU time and allocated
 * bytes are read; past either budget, evaluation stops with {@link Exceeded}, a RuntimeException, so that a jq
 * {@code try} (which catches JsonQueryException only) cannot swallow it. A small transform never reaches 256 ticks
 * and pays one thread-local write and read per call and a counter increment per built-in call.
 *
 * <p>Not covered: iteration that calls no function at all (e.g. {@code [.[] as $a | .[] as $b | .[] | 1]}), which is
 * bounded by the size of the body only, and one single built-in step that is itself huge (a multiplication of a
 * string by 1e9, {@code tostring} of a value exponentially larger than its source): such a step cannot be interrupted.
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
        if ((++ticks & SAMPLE_MASK) == 0) {
            sample();
        }
    }

    /**
     * The counters are first read at the first sample rather than at the start of every call: reading thread CPU
     * time is a system call, and most calls never get here. The budget thus starts after the first 256 ticks.
     */
    private void sample() {
        ThreadMeter meter = limits.meter();
        long cpu = meter.cpuNanos();
        long allocated = meter.allocatedBytes();
        if (cpuStart == Long.MIN_VALUE) {
            cpuStart = cpu;
            allocationStart = allocated;
            return;
        }
        if (cpu - cpuStart > limits.cpuBudget().toNanos()) {
            throw new Exceeded("used more than its CPU budget of " + limits.cpuBudget().toMillis() + " ms");
        }
        if (allocated >= 0 && allocationStart >= 0 && allocated - allocationStart > limits.allocationBudget()) {
            throw new Exceeded("allocated more than its memory budget of " + (limits.allocationBudget() >> 20) + " MB");
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
