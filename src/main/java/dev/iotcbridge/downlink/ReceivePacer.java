package dev.iotcbridge.downlink;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;

/**
 * At most one cloud-to-device receive per device per interval (BRIDGE_DOWNLINK_MIN_INTERVAL_SECONDS), so a chatty
 * device, or a sender that retries, cannot spend the hub's receive quota. Soft state: another instance of the bridge
 * keeps its own, and a restart forgets it, which costs at most one early receive per device.
 */
final class ReceivePacer {

    private final Cache<String, Boolean> recent;

    ReceivePacer(Duration interval, long maxDevices, Ticker ticker) {
        this.recent = interval.isZero() ? null : Caffeine.newBuilder()
                .expireAfterWrite(interval)
                .maximumSize(maxDevices)
                .ticker(ticker)
                .executor(Runnable::run)
                .build();
    }

    /** Whether the device may be received for now; if so, the interval starts over. */
    boolean tryReceive(String deviceId) {
        return recent == null || recent.asMap().putIfAbsent(deviceId, Boolean.TRUE) == null;
    }
}
