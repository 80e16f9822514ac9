package dev.iotcbridge.faults;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the senders did with every message of a scenario: how often each was posted, what each attempt was answered,
 * whether it was finally acknowledged. The sender's side of the no-loss accounting.
 */
public final class Ledger {

    /** One message: its device, its id, and the outcome of each attempt (an HTTP status, or 0 for no answer). */
    public static final class Entry {
        final String deviceId;
        final String messageId;
        final List<Integer> attempts = new ArrayList<>();
        volatile boolean acked;

        Entry(String deviceId, String messageId) {
            this.deviceId = deviceId;
            this.messageId = messageId;
        }

        public synchronized int attempts() {
            return attempts.size();
        }

        public synchronized List<Integer> statuses() {
            return List.copyOf(attempts);
        }

        public boolean acked() {
            return acked;
        }

        public String deviceId() {
            return deviceId;
        }

        public String messageId() {
            return messageId;
        }

        synchronized void attempt(int status) {
            attempts.add(status);
            if (status >= 200 && status < 300) {
                acked = true;
            }
        }
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Map<Integer, Long> statusCounts = new ConcurrentHashMap<>();
    private final AtomicLong failures = new AtomicLong();
    private final List<FailureTrigger> failureTriggers = new CopyOnWriteArrayList<>();

    /** An action run once, on the sender's thread, when the failed attempts reach {@code at}. */
    private record FailureTrigger(long at, Runnable action, AtomicBoolean fired) {
    }

    Entry open(String deviceId, String messageId) {
        Entry e = new Entry(deviceId, messageId);
        if (entries.putIfAbsent(messageId, e) != null) {
            throw new IllegalStateException("message id " + messageId + " used twice in one scenario");
        }
        return e;
    }

    void record(Entry e, int status) {
        e.attempt(status);
        statusCounts.merge(status, 1L, Long::sum);
        if (status < 200 || status >= 300) {
            long failed = failures.incrementAndGet();
            for (FailureTrigger t : failureTriggers) {
                if (failed >= t.at() && t.fired().compareAndSet(false, true)) {
                    t.action().run();
                }
            }
        }
    }

    /** Attempts answered anything but 2xx (or not answered), so far. */
    long failures() {
        return failures.get();
    }

    /**
     * Runs {@code action} once, when {@code count} more attempts than now have failed: a fault that ends after the
     * senders have felt it a given number of times, whatever the machine's speed.
     */
    void afterFailures(long count, Runnable action) {
        failureTriggers.add(new FailureTrigger(failures.get() + count, action, new AtomicBoolean()));
    }

    public Collection<Entry> entries() {
        return entries.values();
    }

    public Entry entry(String messageId) {
        return entries.get(messageId);
    }

    public long sent() {
        return entries.size();
    }

    public long acked() {
        return entries.values().stream().filter(Entry::acked).count();
    }

    /** Attempts beyond the first, over all messages. */
    public long retries() {
        return entries.values().stream().mapToLong(e -> e.attempts() - 1).sum();
    }

    /** How many attempts got each answer (0: no answer, the connection failed or timed out). */
    public Map<Integer, Long> statusCounts() {
        return Map.copyOf(statusCounts);
    }
}
