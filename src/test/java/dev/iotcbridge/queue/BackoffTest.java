package dev.iotcbridge.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {

    /** A jitter source that always draws its lowest or its highest value. */
    private static RandomGenerator always(boolean highest) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public long nextLong(long bound) {
                return highest ? bound - 1 : 0;
            }
        };
    }

    @Test
    void theWaitDoublesWithEachFailureUpToTheCap() {
        Backoff b = new Backoff(Duration.ofSeconds(5), Duration.ofSeconds(60), always(true));

        assertEquals(Duration.ofSeconds(5), b.after(1, Optional.empty()));
        assertEquals(Duration.ofSeconds(10), b.after(2, Optional.empty()));
        assertEquals(Duration.ofSeconds(20), b.after(3, Optional.empty()));
        assertEquals(Duration.ofSeconds(40), b.after(4, Optional.empty()));
        assertEquals(Duration.ofSeconds(60), b.after(5, Optional.empty()));
        assertEquals(Duration.ofSeconds(60), b.after(1_000, Optional.empty()));
    }

    @Test
    void jitterTakesAtMostHalfAwayAndRoundsUpToWholeSeconds() {
        Backoff b = new Backoff(Duration.ofSeconds(5), Duration.ofSeconds(60), always(false));

        assertEquals(Duration.ofSeconds(3), b.after(1, Optional.empty()), "2.5 s rounds up");
        assertEquals(Duration.ofSeconds(5), b.after(2, Optional.empty()));
        assertEquals(Duration.ofSeconds(30), b.after(9, Optional.empty()));
    }

    @Test
    void theHubsRetryAfterIsHonouredEvenAboveTheCap() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(10), always(true));

        assertEquals(Duration.ofSeconds(30), b.after(1, Optional.of(Duration.ofSeconds(30))));
        assertEquals(Duration.ofSeconds(2), b.after(1, Optional.of(Duration.ofMillis(1_200))));
        assertEquals(Duration.ofSeconds(4), b.after(3, Optional.of(Duration.ofSeconds(2))), "the longer of the two");
    }

    @Test
    void aSubSecondWaitIsNotLostToStoragesWholeSeconds() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(100), always(false));

        assertEquals(Duration.ofSeconds(1), b.after(1, Optional.empty()));
    }

    @Test
    void noBackoffMeansAtOnceUnlessTheHubSaysOtherwise() {
        Backoff b = new Backoff(Duration.ZERO, Duration.ZERO, always(true));

        assertEquals(Duration.ZERO, b.after(3, Optional.empty()));
        assertEquals(Duration.ofSeconds(7), b.after(3, Optional.of(Duration.ofSeconds(7))));
    }

    @Test
    void neverLongerThanStorageCanHideAMessage() {
        Backoff b = new Backoff(Duration.ofDays(1), Duration.ofDays(30), always(true));

        assertEquals(Duration.ofDays(7), b.after(10, Optional.empty()));
        assertEquals(Duration.ofDays(7), b.after(1, Optional.of(Duration.ofDays(100))));
    }

    @Test
    void aCapBelowTheFirstWaitIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(5), Duration.ofSeconds(1), always(true)));
    }
}
