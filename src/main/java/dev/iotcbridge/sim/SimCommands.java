package dev.iotcbridge.sim;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The devices' cloud-to-device queues, as IoT Central fills them for commands sent with "queue if offline" and as
 * IoT Hub serves them (docs/azure-protocol.md §4): the body is the command's payload, the application property
 * {@code method-name} its name ({@code component*name} in a component); a message lives for its time to live (IoT
 * Central: 24 hours); a receive locks the oldest one for one minute under a new lock token; complete deletes it,
 * reject dead-letters it, abandon puts it back with its delivery count raised, and after the hub's max delivery count
 * (10) an abandon dead-letters it; a lock that expires puts it back without counting. A queue holds at most 50.
 * Thread-safe: one monitor per device queue.
 */
public final class SimCommands {

    /** IoT Central's default time to live for an offline command. */
    public static final Duration DEFAULT_TTL = Duration.ofHours(24);
    /** IoT Hub's longest time to live for a cloud-to-device message. */
    public static final Duration MAX_TTL = Duration.ofHours(48);
    static final Duration LOCK = Duration.ofMinutes(1);
    static final int MAX_QUEUE = 50;
    static final int MAX_DELIVERY_COUNT = 10;
    /** Settled commands kept per device for the control API. */
    private static final int KEEP_SETTLED = 20;

    /** Where a command is in its life (the hub's states, from the devices' point of view). */
    public enum State { QUEUED, LOCKED, COMPLETED, REJECTED, EXPIRED }

    /** One command, a snapshot. */
    public record Command(String deviceId, String messageId, String methodName, byte[] payload, Instant enqueuedAt,
                          Instant expiresAt, State state, int deliveryCount, long sequenceNumber, Optional<String> why,
                          Optional<Instant> settledAt) {
    }

    /** What a settlement found. */
    enum Settled { DONE, LOCK_LOST }

    private final Map<String, DeviceQueue> queues = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();

    /**
     * Queues a command as IoT Central does for an offline device.
     *
     * @throws IllegalStateException when the device's queue already holds 50 (the hub's 403004)
     */
    public Command enqueue(String deviceId, String methodName, byte[] payload, Duration ttl, Instant now) {
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("a command lives between 1 second and " + MAX_TTL.toHours() + " hours");
        }
        DeviceQueue q = queues.computeIfAbsent(key(deviceId), k -> new DeviceQueue());
        synchronized (q) {
            q.tidy(now);
            if (q.pending.size() >= MAX_QUEUE) {
                throw new IllegalStateException("device " + deviceId + " already has " + MAX_QUEUE
                        + " queued commands (IoT Hub's 403004 DeviceMaximumQueueDepthExceeded)");
            }
            Entry e = new Entry(deviceId, UUID.randomUUID().toString(), methodName, payload.clone(), now, now.plus(ttl),
                    sequence.incrementAndGet());
            q.pending.addLast(e);
            return e.snapshot();
        }
    }

    /** Locks and returns the device's oldest queued command, or empty when none is queued. */
    Optional<Locked> receive(String deviceId, Instant now) {
        DeviceQueue q = queues.get(key(deviceId));
        if (q == null) {
            return Optional.empty();
        }
        synchronized (q) {
            q.tidy(now);
            for (Entry e : q.pending) {
                if (e.state == State.QUEUED) {
                    e.state = State.LOCKED;
                    e.lock = UUID.randomUUID().toString();
                    e.lockedUntil = now.plus(LOCK);
                    return Optional.of(new Locked(e.snapshot(), e.lock));
                }
            }
            return Optional.empty();
        }
    }

    /** A received command with the token of its lock. */
    record Locked(Command command, String lockToken) {
    }

    Settled complete(String deviceId, String lock, Instant now) {
        return settle(deviceId, lock, now, State.COMPLETED, "delivered");
    }

    Settled reject(String deviceId, String lock, Instant now) {
        return settle(deviceId, lock, now, State.REJECTED, "rejected by the device (dead-lettered)");
    }

    Settled abandon(String deviceId, String lock, Instant now) {
        return settle(deviceId, lock, now, State.QUEUED, null);
    }

    private Settled settle(String deviceId, String lock, Instant now, State to, String why) {
        DeviceQueue q = queues.get(key(deviceId));
        if (q == null) {
            return Settled.LOCK_LOST;
        }
        synchronized (q) {
            q.tidy(now);
            for (Iterator<Entry> it = q.pending.iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (e.state != State.LOCKED || !e.lock.equals(lock)) {
                    continue;
                }
                e.lock = null;
                e.lockedUntil = null;
                if (to == State.QUEUED) {
                    e.deliveryCount++;
                    if (e.deliveryCount >= MAX_DELIVERY_COUNT) {
                        it.remove();
                        q.settle(e, State.REJECTED, "abandoned " + e.deliveryCount + " times: dead-lettered", now);
                    } else {
                        e.state = State.QUEUED;
                    }
                } else {
                    it.remove();
                    q.settle(e, to, why, now);
                }
                return Settled.DONE;
            }
            return Settled.LOCK_LOST;
        }
    }

    /** Every command of the device, queued and locked first (oldest first), then the last settled ones. */
    public List<Command> of(String deviceId, Instant now) {
        DeviceQueue q = queues.get(key(deviceId));
        if (q == null) {
            return List.of();
        }
        synchronized (q) {
            q.tidy(now);
            List<Command> all = new ArrayList<>();
            q.pending.forEach(e -> all.add(e.snapshot()));
            q.settled.forEach(all::add);
            return all;
        }
    }

    private static String key(String deviceId) {
        return deviceId.toLowerCase(Locale.ROOT);
    }

    private static final class Entry {
        final String deviceId;
        final String messageId;
        final String methodName;
        final byte[] payload;
        final Instant enqueuedAt;
        final Instant expiresAt;
        final long sequenceNumber;
        State state = State.QUEUED;
        int deliveryCount;
        String lock;
        Instant lockedUntil;

        Entry(String deviceId, String messageId, String methodName, byte[] payload, Instant enqueuedAt, Instant expiresAt,
              long sequenceNumber) {
            this.deviceId = deviceId;
            this.messageId = messageId;
            this.methodName = methodName;
            this.payload = payload;
            this.enqueuedAt = enqueuedAt;
            this.expiresAt = expiresAt;
            this.sequenceNumber = sequenceNumber;
        }

        Command snapshot() {
            return snapshot(state, Optional.empty(), Optional.empty());
        }

        Command snapshot(State s, Optional<String> why, Optional<Instant> at) {
            return new Command(deviceId, messageId, methodName, payload.clone(), enqueuedAt, expiresAt, s, deliveryCount,
                    sequenceNumber, why, at);
        }
    }

    private static final class DeviceQueue {
        final Deque<Entry> pending = new ArrayDeque<>();
        final Deque<Command> settled = new ArrayDeque<>();

        /** Locks that ran out put their commands back (uncounted); commands past their time die. */
        void tidy(Instant now) {
            for (Iterator<Entry> it = pending.iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (e.state == State.LOCKED && !now.isBefore(e.lockedUntil)) {
                    e.state = State.QUEUED;
                    e.lock = null;
                    e.lockedUntil = null;
                }
                if (!now.isBefore(e.expiresAt)) {
                    it.remove();
                    settle(e, State.EXPIRED, "its time to live ran out", e.expiresAt);
                }
            }
        }

        void settle(Entry e, State s, String why, Instant at) {
            settled.addLast(e.snapshot(s, Optional.ofNullable(why), Optional.of(at)));
            while (settled.size() > KEEP_SETTLED) {
                settled.removeFirst();
            }
        }
    }
}
