package dev.iotcbridge.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iotcbridge.iot.Backoff;
import java.time.Duration;
import java.util.Optional;
import java.util.random.RandomGenerator;
import dev.iotcbridge.testing.Draws;
import org.junit.jupiter.api.Test;

/**
 * {@link DeliveryWorker#invisibleFor}: the bridge's one back-off (iot/Backoff, full jitter) turned into a Storage
 * visibility timeout, in whole seconds that never round down to an immediate redelivery.
 */
class DeliveryWorkerTest {

    private static RandomGenerator always(boolean highest) {
        return highest ? Draws.highest() : Draws.lowest();
    }

    private static Optional<Backoff> backoff(Duration first, Duration max, boolean highest) {
        return Optional.of(new Backoff(first, max, always(highest)));
    }

    @Test
    void theWaitDoublesWithEachFailureUpToTheCap() {
        Optional<Backoff> b = backoff(Duration.ofSeconds(5), Duration.ofSeconds(60), true);

        assertEquals(Duration.ofSeconds(5), DeliveryWorker.invisibleFor(b, 1, Optional.empty()));
        assertEquals(Duration.ofSeconds(10), DeliveryWorker.invisibleFor(b, 2, Optional.empty()));
        assertEquals(Duration.ofSeconds(20), DeliveryWorker.invisibleFor(b, 3, Optional.empty()));
        assertEquals(Duration.ofSeconds(40), DeliveryWorker.invisibleFor(b, 4, Optional.empty()));
        assertEquals(Duration.ofSeconds(60), DeliveryWorker.invisibleFor(b, 5, Optional.empty()));
        assertEquals(Duration.ofSeconds(60), DeliveryWorker.invisibleFor(b, 1_000, Optional.empty()));
    }

    @Test
    void aDrawOfZeroIsStillOneWholeSecondLater() {
        Optional<Backoff> b = backoff(Duration.ofSeconds(5), Duration.ofSeconds(60), false);

        // full jitter may draw nothing at all; Storage would then show the message again at once
        assertEquals(Duration.ofSeconds(1), DeliveryWorker.invisibleFor(b, 1, Optional.empty()));
        assertEquals(Duration.ofSeconds(1), DeliveryWorker.invisibleFor(b, 9, Optional.empty()));
    }

    @Test
    void partsOfASecondRoundUp() {
        Optional<Backoff> b = backoff(Duration.ofMillis(2_500), Duration.ofSeconds(60), true);

        assertEquals(Duration.ofSeconds(3), DeliveryWorker.invisibleFor(b, 1, Optional.empty()), "2.5 s rounds up");
        assertEquals(Duration.ofSeconds(1), DeliveryWorker.invisibleFor(backoff(Duration.ofMillis(100), Duration.ofMillis(100), true),
                1, Optional.empty()), "a sub-second wait is not lost to Storage's whole seconds");
    }

    @Test
    void theHubsRetryAfterIsHonouredEvenAboveTheCap() {
        Optional<Backoff> b = backoff(Duration.ofSeconds(1), Duration.ofSeconds(10), true);

        assertEquals(Duration.ofSeconds(30), DeliveryWorker.invisibleFor(b, 1, Optional.of(Duration.ofSeconds(30))));
        assertEquals(Duration.ofSeconds(2), DeliveryWorker.invisibleFor(b, 1, Optional.of(Duration.ofMillis(1_200))));
        assertEquals(Duration.ofSeconds(4), DeliveryWorker.invisibleFor(b, 3, Optional.of(Duration.ofSeconds(2))), "the longer of the two");
    }

    @Test
    void noBackoffMeansAtOnceUnlessTheHubSaysOtherwise() {
        assertEquals(Duration.ZERO, DeliveryWorker.invisibleFor(Optional.empty(), 3, Optional.empty()));
        assertEquals(Duration.ofSeconds(7), DeliveryWorker.invisibleFor(Optional.empty(), 3, Optional.of(Duration.ofSeconds(7))));
    }

    @Test
    void neverLongerThanStorageCanHideAMessage() {
        Optional<Backoff> b = backoff(Duration.ofDays(1), Duration.ofDays(30), true);

        assertEquals(Duration.ofDays(7), DeliveryWorker.invisibleFor(b, 10, Optional.empty()));
        assertEquals(Duration.ofDays(7), DeliveryWorker.invisibleFor(b, 1, Optional.of(Duration.ofDays(100))));
    }
}
