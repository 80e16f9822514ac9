package dev.iotcbridge.iot;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;

/** The end of a time budget, on the injected ticker (nanoseconds). */
record Deadline(Ticker ticker, long atNanos) {

    static Deadline after(Ticker ticker, Duration budget) {
        return new Deadline(ticker, ticker.read() + budget.toNanos());
    }

    long remainingNanos() {
        return atNanos - ticker.read();
    }

    boolean expired() {
        return remainingNanos() <= 0;
    }

    /** Whether waiting {@code wait} still leaves time to do something afterwards. */
    boolean allows(Duration wait) {
        return remainingNanos() > wait.toNanos();
    }
}
