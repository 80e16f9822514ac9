package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.random.RandomGenerator;
import dev.iotcbridge.testing.Draws;
import org.junit.jupiter.api.Test;

class BackoffTest {

    static RandomGenerator always(boolean highest) {
        return highest ? Draws.highest() : Draws.lowest();
    }

    @Test
    void theCeilingDoublesWithEachFailureUpToTheLargest() {
        Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(5), always(true));

        assertEquals(Duration.ofMillis(500), b.delay(1));
        assertEquals(Duration.ofSeconds(1), b.delay(2));
        assertEquals(Duration.ofSeconds(2), b.delay(3));
        assertEquals(Duration.ofSeconds(4), b.delay(4));
        assertEquals(Duration.ofSeconds(5), b.delay(5));
        assertEquals(Duration.ofSeconds(5), b.delay(Long.MAX_VALUE), "no overflow however many failures");
    }

    @Test
    void fullJitterCanDrawAnyWaitFromZeroToTheCeiling() {
        Backoff low = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), always(false));
        assertEquals(Duration.ZERO, low.delay(3), "spread over the whole window, down to no wait");

        Backoff real = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), RandomGenerator.of("L64X128MixRandom"));
        for (int i = 0; i < 1_000; i++) {
            Duration d = real.delay(3);
            assertTrue(!d.isNegative() && d.compareTo(Duration.ofSeconds(4)) <= 0, d.toString());
        }
    }

    @Test
    void aServersRetryAfterIsAFloorEvenAboveTheLargest() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(10), always(false));

        assertEquals(Duration.ofSeconds(30), b.delay(1, Duration.ofSeconds(30)));
        assertEquals(Duration.ZERO, b.delay(1, null));
        assertEquals(Duration.ofSeconds(4), new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(10), always(true))
                .delay(3, Duration.ofSeconds(2)), "the longer of the two");
    }

    @Test
    void badSettingsAreRefusedWithWhatIsWrong() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), always(true)));
        assertEquals("the first back-off must be positive, was PT0S", zero.getMessage());
        IllegalArgumentException inverted = assertThrows(IllegalArgumentException.class,
                () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), always(true)));
        assertEquals("the largest back-off (PT1S) must not be less than the first (PT2S)", inverted.getMessage());
    }
}
