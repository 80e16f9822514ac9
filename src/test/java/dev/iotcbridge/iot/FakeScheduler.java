package dev.iotcbridge.iot;

import java.time.Duration;
import java.util.PriorityQueue;

/**
 * A {@link Scheduler} on a {@link FakeTime}: tasks run on the test's thread when the test advances time past them,
 * in the order they are due (ties in the order scheduled), each seeing the clock at its own due time. Nothing runs
 * on its own, so a test states exactly how much time passes and never sleeps.
 */
final class FakeScheduler implements Scheduler {

    private record Task(long dueNanos, long order, Runnable body, boolean[] cancelled) {
    }

    private final FakeTime time;
    private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) -> a.dueNanos != b.dueNanos
            ? Long.compare(a.dueNanos, b.dueNanos) : Long.compare(a.order, b.order));
    private long scheduled;

    FakeScheduler(FakeTime time) {
        this.time = time;
    }

    @Override
    public synchronized Cancellable schedule(Duration delay, Runnable task) {
        boolean[] cancelled = {false};
        tasks.add(new Task(time.read() + Math.max(0, delay.toNanos()), scheduled++, task, cancelled));
        return () -> {
            synchronized (FakeScheduler.this) {
                cancelled[0] = true;
            }
        };
    }

    /** Moves the clock forward by {@code d}, running every task that falls due on the way (those they schedule too). */
    void advance(Duration d) {
        long end = time.read() + d.toNanos();
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.peek();
                if (next == null || next.dueNanos > end) {
                    break;
                }
                tasks.poll();
                if (next.cancelled[0]) {
                    continue;
                }
            }
            if (next.dueNanos > time.read()) {
                time.advance(Duration.ofNanos(next.dueNanos - time.read()));
            }
            next.body.run();
        }
        if (end > time.read()) {
            time.advance(Duration.ofNanos(end - time.read()));
        }
    }

    /**
     * Runs the earliest task that is not cancelled, if it falls due by {@code notAfterNanos} (fake nanos), with the
     * clock moved to its due time first; false when there is none. The clock only ever moves to a live task: a driver
     * that saw a task which was cancelled since does not jump to its time.
     */
    boolean runNext(long notAfterNanos) {
        Task next;
        synchronized (this) {
            while ((next = tasks.peek()) != null && next.cancelled[0]) {
                tasks.poll();
            }
            if (next == null || next.dueNanos > notAfterNanos) {
                return false;
            }
            tasks.poll();
        }
        if (next.dueNanos > time.read()) {
            time.advance(Duration.ofNanos(next.dueNanos - time.read()));
        }
        next.body.run();
        return true;
    }

    /** Runs what is due now (tasks scheduled with no delay) without moving the clock. */
    void runDue() {
        advance(Duration.ZERO);
    }

    /** Tasks waiting (cancelled ones included until their time comes). */
    synchronized int pending() {
        return tasks.size();
    }

    /** When the earliest task that is not cancelled falls due, on the fake ticker; empty when none waits. */
    synchronized java.util.OptionalLong nextDue() {
        return tasks.stream().filter(t -> !t.cancelled[0]).mapToLong(Task::dueNanos).min();
    }
}
