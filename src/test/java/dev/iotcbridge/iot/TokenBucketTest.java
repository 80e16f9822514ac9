package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** DPS admission's bucket on fake time: burst at once, then the rate, turns reserved in order, a bounded queue. */
class TokenBucketTest {

    private final FakeTime time = new FakeTime(Instant.parse("2026-11-27T10:00:00Z"));
    private static final long HORIZON = Duration.ofSeconds(60).toNanos();

    @Test
    void theBurstIsAdmittedAtOnceThenTurnsComeAtTheRate() {
        TokenBucket bucket = new TokenBucket(60, 50, time); // a token a second
        for (int i = 0; i < 50; i++) {
            assertEquals(0, bucket.reserve(HORIZON), "token " + i + " of the burst");
        }
        assertEquals(Duration.ofSeconds(1).toNanos(), bucket.reserve(HORIZON), "the 51st: its turn in 1 s");
        assertEquals(Duration.ofSeconds(2).toNanos(), bucket.reserve(HORIZON), "the 52nd keeps its place behind it");
    }

    @Test
    void tokensComeBackWithTimeButNeverBeyondTheBurst() {
        TokenBucket bucket = new TokenBucket(60, 2, time);
        bucket.reserve(HORIZON);
        bucket.reserve(HORIZON);
        assertEquals(0, bucket.available());
        time.advance(Duration.ofSeconds(1));
        assertEquals(1, bucket.available());
        time.advance(Duration.ofHours(1));
        assertEquals(2, bucket.available(), "an idle hour refills the burst, no more");
    }

    @Test
    void aTurnBeyondTheHorizonIsRefusedAndTakesNothing() {
        TokenBucket bucket = new TokenBucket(1, 1, time); // a token a minute
        assertEquals(0, bucket.reserve(HORIZON));
        long refused = bucket.reserve(Duration.ofSeconds(30).toNanos());
        assertEquals(-Duration.ofSeconds(60).toNanos(), refused, "minus the wait it would have had");
        assertEquals(Duration.ofSeconds(60).toNanos(), bucket.reserve(HORIZON), "the refusal kept no place");
    }

    @Test
    void rateAndBurstMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 1, time));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(1, 0, time));
    }
}
