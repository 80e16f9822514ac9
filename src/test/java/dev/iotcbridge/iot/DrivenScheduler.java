package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.fail;

import dev.iotcbridge.error.Completion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link FakeScheduler} that a test drives until a future completes: whenever tasks wait and the future is not done,
 * the fake time jumps to the next one and runs it; in between, the real requests of the attempt it started (to
 * WireMock, on event loops) complete in their own time. Every delay asked for is recorded, so a test states the
 * back-offs it expects. Deterministic as long as what is scheduled are the waits between steps (back-offs,
 * Retry-After), not timeouts of requests still in flight: those would be jumped to while the request runs.
 */
final class DrivenScheduler implements Scheduler {

    /** Real time a driven future may take at most: a hang fails the test instead of stopping the build. */
    private static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final FakeTime time;
    private final FakeScheduler fake;
    private final List<Duration> delays = new ArrayList<>();
    /** Due times (fake nanos) of the tasks that have neither run nor been called off. */
    private final List<long[]> outstanding = new ArrayList<>();

    DrivenScheduler(FakeTime time) {
        this.time = time;
        this.fake = new FakeScheduler(time);
    }

    /**
     * Recorded and handed to the fake scheduler in one step: a driver that saw the task outstanding must find it
     * there too, or it would move the time past the due time the fake scheduler has not been given yet.
     */
    @Override
    public synchronized Cancellable schedule(Duration delay, Runnable task) {
        long[] due = {time.read() + Math.max(0, delay.toNanos())};
        delays.add(delay);
        outstanding.add(due);
        Cancellable c = fake.schedule(delay, () -> {
            forget(due);
            task.run();
        });
        return () -> {
            forget(due);
            c.cancel();
        };
    }

    private synchronized void forget(long[] due) {
        outstanding.remove(due);
    }

    private synchronized Long nextDue() {
        Long next = null;
        for (long[] d : outstanding) {
            next = next == null ? d[0] : Math.min(next, d[0]);
        }
        return next;
    }

    /** Every delay scheduled so far, in order. */
    synchronized List<Duration> delays() {
        return List.copyOf(delays);
    }

    /**
     * Runs scheduled tasks, moving the fake time to each in turn, until {@code f} completes; then its value, or what
     * it failed with, unwrapped.
     */
    <T> T drive(CompletableFuture<T> f) {
        long giveUp = System.nanoTime() + GIVE_UP_NANOS;
        while (!f.isDone()) {
            if (System.nanoTime() > giveUp) {
                fail("the future did not complete; waiting: " + outstanding.size() + " task(s), next due " + nextDue()
                        + " at " + time.read() + ", fake pending " + fake.pending());
            }
            Long next = nextDue();
            if (next != null) {
                fake.advance(Duration.ofNanos(Math.max(0, next - time.read())));
            } else {
                LockSupport.parkNanos(100_000); // a real request is under way
            }
        }
        try {
            return f.join();
        } catch (RuntimeException e) {
            Throwable cause = Completion.cause(e);
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }
}
