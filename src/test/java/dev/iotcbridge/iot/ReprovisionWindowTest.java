package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The re-provisioning window's memory on its own: per device, on the injected ticker, bounded, never stretched. */
class ReprovisionWindowTest {

    private final FakeTime time = new FakeTime(Instant.parse("2026-11-27T10:00:00Z"));

    @Test
    void aWindowRunsItsLengthOnTheTickerThenCloses() {
        ReprovisionWindow w = new ReprovisionWindow(Duration.ofSeconds(60), 100, time);
        assertEquals(Duration.ZERO, w.left("a"), "none open");

        w.open("a");
        time.advance(Duration.ofSeconds(45));

        assertEquals(Duration.ofSeconds(15), w.left("a"));
        assertEquals(Duration.ZERO, w.left("b"), "per device");
        time.advance(Duration.ofSeconds(15));
        assertEquals(Duration.ZERO, w.left("a"));
    }

    @Test
    void openingAgainDoesNotStretchIt() {
        ReprovisionWindow w = new ReprovisionWindow(Duration.ofSeconds(60), 100, time);
        w.open("a");
        time.advance(Duration.ofSeconds(30));

        assertFalse(w.open("a"), "a second caller of the same registration opens nothing");

        assertEquals(Duration.ofSeconds(30), w.left("a"));
        time.advance(Duration.ofSeconds(31));
        assertTrue(w.open("a"), "a registration after the window ended opens a new one");
        assertEquals(Duration.ofSeconds(60), w.left("a"));
    }

    @Test
    void aDeliveredMessageEndsIt() {
        ReprovisionWindow w = new ReprovisionWindow(Duration.ofSeconds(60), 100, time);
        w.open("a");
        w.open("b");

        w.delivered("a");

        assertEquals(Duration.ZERO, w.left("a"));
        assertEquals(Duration.ofSeconds(60), w.left("b"));
    }

    @Test
    void itHoldsAtMostAsManyDevicesAsTheDeviceCache() {
        ReprovisionWindow w = new ReprovisionWindow(Duration.ofSeconds(60), 10, time);
        for (int i = 0; i < 1_000; i++) {
            w.open("d" + i);
        }
        int open = 0;
        for (int i = 0; i < 1_000; i++) {
            open += w.left("d" + i).isZero() ? 0 : 1;
        }
        assertTrue(open <= 10, open + " windows kept");
    }

    @Test
    void aWindowMustHaveALength() {
        assertThrows(IllegalArgumentException.class, () -> new ReprovisionWindow(Duration.ZERO, 10, time));
    }
}
