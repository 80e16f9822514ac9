package dev.iotcbridge.sim;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Accepted messages in bounded memory: the last N messages, and counts per hub, per device and per message id
 * (the latter bounded too, oldest ids forgotten first), so that a test can assert exactly-once by message id.
 */
final class TelemetryLog {

    private static final int MAX_PRINTED_BODY = 4096;

    private static final class DeviceStats {
        final AtomicLong count = new AtomicLong();
        volatile SimMessage last;
    }

    private final int keepRecent;
    private final int keepMessageIds;
    private final Consumer<String> printer;
    private final ArrayDeque<SimMessage> recent = new ArrayDeque<>();
    private final Map<HubId, AtomicLong> perHub = new EnumMap<>(HubId.class);
    private final Map<String, DeviceStats> perDevice = new ConcurrentHashMap<>();
    private final LinkedHashMap<String, Integer> perMessageId;

    TelemetryLog(int keepRecent, int keepMessageIds, Consumer<String> printer) {
        this.keepRecent = keepRecent;
        this.keepMessageIds = keepMessageIds;
        this.printer = printer;
        for (HubId hub : HubId.values()) {
            perHub.put(hub, new AtomicLong());
        }
        this.perMessageId = new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
                return size() > TelemetryLog.this.keepMessageIds;
            }
        };
    }

    void record(SimMessage message) {
        perHub.get(message.hub()).incrementAndGet();
        DeviceStats stats = perDevice.computeIfAbsent(message.deviceId(), k -> new DeviceStats());
        stats.count.incrementAndGet();
        stats.last = message;
        synchronized (this) {
            recent.addLast(message);
            while (recent.size() > keepRecent) {
                recent.removeFirst();
            }
            message.messageId().ifPresent(id -> perMessageId.merge(id, 1, Integer::sum));
        }
        if (printer == SimulatorOptions.NO_PRINTER) {
            return;
        }
        String body = message.body().length() > MAX_PRINTED_BODY
                ? message.body().substring(0, MAX_PRINTED_BODY) + "…" : message.body();
        printer.accept("telemetry from " + message.deviceId() + " via hub-" + message.hub().name().toLowerCase()
                + " (" + message.hubHost() + "): " + body);
    }

    synchronized List<SimMessage> recent() {
        return List.copyOf(recent);
    }

    long acceptedBy(HubId hub) {
        return perHub.get(hub).get();
    }

    long acceptedFrom(String deviceId) {
        DeviceStats stats = perDevice.get(deviceId);
        return stats == null ? 0 : stats.count.get();
    }

    Optional<SimMessage> lastFrom(String deviceId) {
        DeviceStats stats = perDevice.get(deviceId);
        return stats == null ? Optional.empty() : Optional.ofNullable(stats.last);
    }

    synchronized int acceptedWithMessageId(String messageId) {
        return perMessageId.getOrDefault(messageId, 0);
    }

    synchronized Map<String, Integer> messageIdCounts() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(perMessageId));
    }

    Map<String, Long> perDevice() {
        Map<String, Long> out = new HashMap<>();
        perDevice.forEach((id, stats) -> out.put(id, stats.count.get()));
        return out;
    }

    Map<HubId, Long> perHub() {
        Map<HubId, Long> out = new EnumMap<>(HubId.class);
        perHub.forEach((hub, count) -> out.put(hub, count.get()));
        return out;
    }

    /** Forgets counts and recent messages (not the devices). */
    synchronized void reset() {
        recent.clear();
        perMessageId.clear();
        perHub.values().forEach(c -> c.set(0));
        perDevice.clear();
    }
}
