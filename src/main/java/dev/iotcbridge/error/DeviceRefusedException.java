package dev.iotcbridge.error;

import java.time.Duration;
import java.util.Optional;

/**
 * IoT Central refuses the device itself (blocked by an operator, not approved, disabled): 403.
 * The bridge backs off instead of re-registering on every call.
 */
public final class DeviceRefusedException extends BridgeException {

    private final Duration retryAfter;

    public DeviceRefusedException(String safeMessage, Duration retryAfter) {
        super(403, safeMessage, null, false);
        this.retryAfter = retryAfter;
    }

    @Override
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
