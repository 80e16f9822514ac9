package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class FakeSchedulerTest {

    private final FakeTime time = new FakeTime(Instant.parse("2026-01-01T00:00:00Z"));
    private final FakeScheduler scheduler = new FakeScheduler(time);

    @Test
    void tasksRunInDueOrderEachAtItsOwnTime() {
        List<String> ran = new ArrayList<>();
        scheduler.schedule(Duration.ofSeconds(3), () -> ran.add("3s@" + time.read() / 1_000_000_000));
        scheduler.schedule(Duration.ofSeconds(1), () -> {
            ran.add("1s@" + time.read() / 1_000_000_000);
            scheduler.schedule(Duration.ofSeconds(1), () -> ran.add("2s@" + time.read() / 1_000_000_000));
        });

        scheduler.advance(Duration.ofMillis(2_500));
        assertEquals(List.of("1s@1", "2s@2"), ran);
        assertEquals(2_500_000_000L, time.read());

        scheduler.advance(Duration.ofSeconds(1));
        assertEquals(List.of("1s@1", "2s@2", "3s@3"), ran);
    }

    @Test
    void withinTimesOutOnTheFakeClockOnly() {
        CompletableFuture<String> never = new CompletableFuture<>();
        CompletableFuture<String> bounded = scheduler.within(never, Duration.ofSeconds(4), TimeoutException::new);

        scheduler.advance(Duration.ofMillis(3_999));
        assertFalse(bounded.isDone());
        scheduler.advance(Duration.ofMillis(1));
        assertTrue(bounded.isCompletedExceptionally());
        assertTrue(assertThrowsCause(bounded) instanceof TimeoutException);
        assertFalse(never.isDone(), "the shared work is not cancelled");
    }

    @Test
    void aCancelledTaskNeverRuns() {
        List<String> ran = new ArrayList<>();
        Scheduler.Cancellable c = scheduler.schedule(Duration.ofSeconds(1), () -> ran.add("x"));
        c.cancel();
        scheduler.advance(Duration.ofSeconds(2));
        assertEquals(List.of(), ran);
    }

    /** The rig's driver runs one task at a time, and never moves the clock to a task called off since it looked. */
    @Test
    void runNextMovesTheClockOnlyToALiveTask() {
        List<String> ran = new ArrayList<>();
        Scheduler.Cancellable budget = scheduler.schedule(Duration.ofSeconds(10), () -> ran.add("budget"));
        long seen = scheduler.nextDue().orElseThrow();
        budget.cancel(); // the call ended between the driver's look and its move

        assertFalse(scheduler.runNext(seen));
        assertEquals(0, time.read(), "no jump to a task that was called off");

        scheduler.schedule(Duration.ofSeconds(3), () -> ran.add("poll@" + time.read() / 1_000_000_000));
        scheduler.schedule(Duration.ofSeconds(5), () -> ran.add("retry@" + time.read() / 1_000_000_000));
        assertFalse(scheduler.runNext(2_000_000_000L), "not due by then");
        assertTrue(scheduler.runNext(seen));
        assertEquals(List.of("poll@3"), ran, "one task per call, at its own time");
        assertEquals(3_000_000_000L, time.read());
    }

    private static Throwable assertThrowsCause(CompletableFuture<?> f) {
        try {
            f.join();
            throw new AssertionError("completed normally");
        } catch (CompletionException e) {
            return e.getCause();
        }
    }
}
