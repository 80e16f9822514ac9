package dev.iotcbridge.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;

/**
 * Faults one simulated service (a hub or DPS) injects into its answers: added latency, errors for the next N
 * requests or for a fraction of them, and connections cut half-way through an answer. Rules are tried in the
 * order they were added; fractions draw from a seeded random, so a scenario repeats.
 */
public final class FaultControl {

    /** What a request gets instead of its normal answer. */
    sealed interface Fault permits Fail, Cut {
    }

    /** Answer this error; the request takes no effect. */
    record Fail(SimError error) implements Fault {
    }

    /** The request takes effect; its answer is cut half-way and the connection closed. */
    record Cut() implements Fault {
    }

    private static final class Rule {
        final Fault fault;
        int remaining;          // counted rule when >= 0
        final double fraction;  // fraction rule when remaining < 0

        Rule(Fault fault, int remaining, double fraction) {
            this.fault = fault;
            this.remaining = remaining;
            this.fraction = fraction;
        }
    }

    private final Random random;
    private final List<Rule> rules = new ArrayList<>();
    private volatile Duration latency = Duration.ZERO;

    FaultControl(long seed) {
        this.random = new Random(seed);
    }

    /** Every answer leaves this long after the request took effect (0 = none). Threads are not held meanwhile. */
    public FaultControl latency(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("latency cannot be negative");
        }
        this.latency = delay;
        return this;
    }

    public Duration latency() {
        return latency;
    }

    /** The next {@code count} requests are answered with {@code error} (with its real body) and take no effect. */
    public FaultControl failNext(int count, SimError error) {
        return add(new Fail(Objects.requireNonNull(error, "error")), count);
    }

    /** Each request, with probability {@code fraction}, is answered with {@code error} and takes no effect. */
    public FaultControl failFraction(double fraction, SimError error) {
        return addFraction(new Fail(Objects.requireNonNull(error, "error")), fraction);
    }

    /** The next {@code count} requests take effect, but their answers are cut half-way (the connection closes). */
    public FaultControl cutNext(int count) {
        return add(new Cut(), count);
    }

    /** Each request, with probability {@code fraction}, takes effect and gets its answer cut half-way. */
    public FaultControl cutFraction(double fraction) {
        return addFraction(new Cut(), fraction);
    }

    /** Removes every rule and the latency. */
    public synchronized FaultControl clear() {
        rules.clear();
        latency = Duration.ZERO;
        return this;
    }

    /** Rules still pending (counted rules not used up, and fraction rules). */
    public synchronized int pendingRules() {
        return rules.size();
    }

    synchronized Optional<Fault> draw() {
        for (Iterator<Rule> it = rules.iterator(); it.hasNext(); ) {
            Rule rule = it.next();
            if (rule.remaining > 0) {
                if (--rule.remaining == 0) {
                    it.remove();
                }
                return Optional.of(rule.fault);
            }
            if (rule.remaining < 0 && random.nextDouble() < rule.fraction) {
                return Optional.of(rule.fault);
            }
        }
        return Optional.empty();
    }

    private synchronized FaultControl add(Fault fault, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count is at least 1");
        }
        rules.add(new Rule(fault, count, 0));
        return this;
    }

    private synchronized FaultControl addFraction(Fault fault, double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction is in (0, 1]");
        }
        rules.add(new Rule(fault, -1, fraction));
        return this;
    }
}
