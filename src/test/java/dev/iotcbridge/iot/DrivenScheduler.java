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
 * A {@link FakeScheduler} that records every delay asked of it and tells when its next live task falls due, for the
 * test rig's driver ({@link IotRig}), which moves the fake time to that task whenever no DPS request is on the wire.
 * So a test states the waits it expects (back-offs, Retry-After, queued turns), and none of them is slept.
 */
final class DrivenScheduler implements Scheduler {

    /** Real time a driven future may take at most: a hang fails the test instead of stopping the build. */
    private static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final FakeTime time;
    private final FakeScheduler fake;
    /** Each task's delay, and whether it was called off (a budget timer whose call ended first). */
    private final List<Object[]> delays = new ArrayList<>();
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
        Object[] entry = {delay, false};
        delays.add(entry);
        outstanding.add(due);
        Cancellable c = fake.schedule(delay, () -> {
            forget(due);
            task.run();
        });
        return () -> {
            synchronized (DrivenScheduler.this) {
                if (outstanding.contains(due)) {
                    entry[1] = true; // called off before it ran: no wait the bridge made
                }
            }
            forget(due);
            c.cancel();
        };
    }

    private synchronized void forget(long[] due) {
        outstanding.remove(due);
    }

    /** When the earliest task that has neither run nor been called off falls due (fake nanos); empty if none. */
    synchronized java.util.OptionalLong nextDue() {
        return outstanding.stream().mapToLong(d -> d[0]).min();
    }

    /** Moves the fake time forward by {@code d}, running what falls due on the way. */
    void advance(Duration d) {
        fake.advance(d);
    }

    /** Tasks waiting (called-off ones included until their time comes). */
    int pending() {
        return fake.pending();
    }

    /** The delays of the tasks scheduled so far that were not called off (they ran, or still wait), in order. */
    synchronized List<Duration> delays() {
        return delays.stream().filter(e -> !(Boolean) e[1]).map(e -> (Duration) e[0]).toList();
    }

    /**
     * Waits for {@code f} while the rig's driver moves the fake time, then its value, or what it failed with,
     * unwrapped. A future that does not complete within {@link #GIVE_UP_NANOS} of real time fails the test.
     */
    <T> T drive(CompletableFuture<T> f) {
        long giveUp = System.nanoTime() + GIVE_UP_NANOS;
        while (!f.isDone()) {
            if (System.nanoTime() > giveUp) {
                fail("the future did not complete; waiting: " + outstanding.size() + " task(s), next due " + nextDue()
                        + " at " + time.read() + ", fake pending " + fake.pending());
            }
            LockSupport.parkNanos(100_000);
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
