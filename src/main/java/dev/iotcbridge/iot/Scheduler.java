package dev.iotcbridge.iot;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Where the bridge's waits happen: a retry, a back-off, a DPS poll or a budget's end is a task scheduled here, not a
 * parked thread, so that a throttling storm costs timers. Injected: production uses one scheduled executor (or an
 * event loop), tests a fake one advanced together with their fake clock, so that no test sleeps.
 */
public interface Scheduler {

    /** Runs {@code task} once {@code delay} has passed (at once for zero or less), never on the caller's stack. */
    Cancellable schedule(Duration delay, Runnable task);

    /** A scheduled task that has not run yet can be called off; calling off one that ran does nothing. */
    @FunctionalInterface
    interface Cancellable {
        void cancel();
    }

    /** A future completed once {@code delay} has passed. */
    default CompletableFuture<Void> after(Duration delay) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        schedule(delay, () -> done.complete(null));
        return done;
    }

    /**
     * {@code work}, or {@code onTimeout}'s exception once {@code limit} has passed on this scheduler's clock, whichever
     * comes first. {@code work} itself is not cancelled: other callers may share it.
     */
    default <T> CompletableFuture<T> within(CompletableFuture<T> work, Duration limit, Supplier<? extends Throwable> onTimeout) {
        if (work.isDone()) {
            return work;
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        Cancellable timer = schedule(limit, () -> result.completeExceptionally(onTimeout.get()));
        work.whenComplete((value, failure) -> {
            timer.cancel();
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(value);
            }
        });
        return result;
    }

    /** On an executor's own timer (its owner shuts it down). */
    static Scheduler of(ScheduledExecutorService executor) {
        Objects.requireNonNull(executor, "executor");
        return (delay, task) -> {
            var f = executor.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        };
    }
}
