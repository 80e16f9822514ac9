package dev.iotcbridge.iot;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;

/**
 * The re-provisioning budget per device: once a hub failure made the bridge register a device with DPS again, it is
 * not registered again until this window ends or a send on the new link succeeds. DPS rate-limits registrations, and
 * re-registering at once against a hub that is down multiplies an outage (DPS's at-scale guidance,
 * docs/azure-protocol.md §2); the reference bridge likewise allows one registration per device per minute.
 *
 * <p>Bounded like the device cache (the same most devices), on the injected ticker, so a window ends on the test's
 * clock. Nothing is kept but when each open window started and how many calls its hub failed since: the fresh link
 * itself stays in the device cache.
 */
final class ReprovisionWindow {

    private final Cache<String, Open> openedAt;
    private final Duration length;
    private final Ticker ticker;

    ReprovisionWindow(Duration length, long maxDevices, Ticker ticker) {
        if (length.isNegative() || length.isZero()) {
            throw new IllegalArgumentException("the re-provisioning window must be positive, was " + length);
        }
        this.length = length;
        this.ticker = ticker;
        this.openedAt = Caffeine.newBuilder()
                .maximumSize(maxDevices)
                .expireAfterWrite(length)
                .ticker(ticker)
                .executor(Runnable::run) // maintenance inline, as for the device cache
                .build();
    }

    /**
     * The device was just registered again. The earliest start wins: callers that shared one registration open one
     * window, not one each, and a window cannot be stretched by re-opening it.
     *
     * @return whether this opened the window (false: it was open already)
     */
    boolean open(String deviceId) {
        return openedAt.asMap().putIfAbsent(deviceId, new Open(ticker.read())) == null;
    }

    /** How long the device's window still runs: zero when none is open. */
    Duration left(String deviceId) {
        Open open = openedAt.getIfPresent(deviceId);
        if (open == null) {
            return Duration.ZERO;
        }
        Duration left = length.minusNanos(ticker.read() - open.since);
        return left.isNegative() ? Duration.ZERO : left;
    }

    /** Calls for the device that ended unanswered by its hub since the window opened: 0 when none is open. */
    int failedCalls(String deviceId) {
        Open open = openedAt.getIfPresent(deviceId);
        return open == null ? 0 : open.failedCalls.get();
    }

    /** A call for the device ended with its hub still failing the fresh link (no effect when no window is open). */
    void callFailed(String deviceId) {
        Open open = openedAt.getIfPresent(deviceId);
        if (open != null) {
            open.failedCalls.incrementAndGet();
        }
    }

    /**
     * A send to the device succeeded: the window's work is done, and a later failure may register it again at once
     * (it moved again). Costs one counter read while no window is open, which is the normal case on the hot path.
     */
    void delivered(String deviceId) {
        if (openedAt.estimatedSize() > 0) {
            openedAt.invalidate(deviceId);
        }
    }

    /** An open window: when it opened, and how many calls its hub has failed since (for the callers' Retry-After). */
    private static final class Open {
        final long since;
        final java.util.concurrent.atomic.AtomicInteger failedCalls = new java.util.concurrent.atomic.AtomicInteger();

        Open(long since) {
            this.since = since;
        }
    }
}
