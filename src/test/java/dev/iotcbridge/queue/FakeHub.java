package dev.iotcbridge.queue;

import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.iot.TelemetrySender;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * An in-memory hub behind the {@link TelemetrySender} contract: records what it accepted by messageId, and fails
 * whatever its current rule says should fail, with the exception the forwarding core would throw.
 */
final class FakeHub implements TelemetrySender {

    private final Map<String, DeviceMessage> accepted = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> acceptedCount = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private volatile Function<DeviceMessage, BridgeException> failure = m -> null;

    /** From now on, a message for which {@code rule} gives an exception fails with it. */
    void failWhen(Function<DeviceMessage, BridgeException> rule) {
        this.failure = rule;
    }

    void recover() {
        this.failure = m -> null;
    }

    @Override
    public void send(DeviceMessage message, Duration budget) {
        String id = message.messageId().orElseThrow(() -> new AssertionError("a queued message always has a messageId"));
        attempts.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        BridgeException e = failure.apply(message);
        if (e != null) {
            throw e;
        }
        accepted.put(id, message);
        acceptedCount.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
    }

    /** Messages accepted, by messageId (the last copy, if accepted more than once). */
    Map<String, DeviceMessage> accepted() {
        return Map.copyOf(accepted);
    }

    int acceptedCount(String messageId) {
        AtomicInteger n = acceptedCount.get(messageId);
        return n == null ? 0 : n.get();
    }

    int attempts(String messageId) {
        AtomicInteger n = attempts.get(messageId);
        return n == null ? 0 : n.get();
    }

    int totalAttempts() {
        return attempts.values().stream().mapToInt(AtomicInteger::get).sum();
    }
}
