package dev.iotcbridge.bridge;

import dev.iotcbridge.error.BridgeException;
import java.util.Optional;

/** What became of one message of a call: delivered, or the failure that stopped it. */
record MessageResult(String deviceId, Optional<BridgeException> failure, long latencyNanos) {

    static MessageResult delivered(String deviceId, long latencyNanos) {
        return new MessageResult(deviceId, Optional.empty(), latencyNanos);
    }

    static MessageResult failed(String deviceId, BridgeException failure, long latencyNanos) {
        return new MessageResult(deviceId, Optional.of(failure), latencyNanos);
    }

    boolean delivered() {
        return failure.isEmpty();
    }
}
