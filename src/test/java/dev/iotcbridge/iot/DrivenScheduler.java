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
    /** Every task's delay, in the order asked, with what became of it. */
    private final List<Entry> delays = new ArrayList<>();

    /** One scheduled task as the record sees it: started, or called off before it started (no wait the bridge made). */
    private static final class Entry {
        final Duration delay;
        boolean started;
        boolean calledOff;

        Entry(Duration delay) {
            this.delay = delay;
        }
    }

    DrivenScheduler(FakeTime time) {
        this.time = time;
        this.fake = new FakeScheduler(time);
    }

    /**
     * The fake scheduler alone keeps the due times: a second copy, read off the clock a moment apart from the fake
     * scheduler's, once named a due time the fake scheduler did not have, and the driver waited on it forever.
     */
    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
        Entry entry = new Entry(delay);
        synchronized (this) {
            delays.add(entry);
        }
        Cancellable c = fake.schedule(delay, () -> {
            synchronized (DrivenScheduler.this) {
                entry.started = true;
            }
            task.run();
        });
        return () -> {
            synchronized (DrivenScheduler.this) {
                entry.calledOff |= !entry.started;
            }
            c.cancel();
        };
    }

    /** When the earliest task that has neither run nor been called off falls due (fake nanos); empty if none. */
    java.util.OptionalLong nextDue() {
        return fake.nextDue();
    }

    /** {@link FakeScheduler#runNext}: the earliest live task due by {@code notAfterNanos}, if any. */
    boolean runNext(long notAfterNanos) {
        return fake.runNext(notAfterNanos);
    }

    /** Tasks waiting (called-off ones included until their time comes). */
    int pending() {
        return fake.pending();
    }

    /** The delays of the tasks scheduled so far that were not called off (they ran, or still wait), in order. */
    synchronized List<Duration> delays() {
        return delays.stream().filter(e -> !e.calledOff).map(e -> e.delay).toList();
    }

    /**
     * Waits for {@code f} while the rig's driver moves the fake time, then its value, or what it failed with,
     * unwrapped. A future that does not complete within {@link #GIVE_UP_NANOS} of real time fails the test.
     */
    <T> T drive(CompletableFuture<T> f) {
        long giveUp = System.nanoTime() + GIVE_UP_NANOS;
        while (!f.isDone()) {
            if (System.nanoTime() > giveUp) {
                fail("the future did not complete; next due " + nextDue()
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
