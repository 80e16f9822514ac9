package dev.iotcbridge.testing;

import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.iot.TelemetrySender;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A hub whose answers the test gives: {@code sendAsync} returns a future that stays open until the test completes it
 * (from its own thread, as a hub client's I/O thread would), except for the devices it is told to accept at once.
 */
public final class HeldSender implements TelemetrySender {

    /** One message the sender holds, and the future the caller waits on. */
    public record Held(DeviceMessage message, CompletableFuture<Void> answer) {
        public String deviceId() {
            return message.deviceId();
        }
    }

    private final BlockingQueue<Held> held = new LinkedBlockingQueue<>();
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private final Predicate<String> acceptAtOnce;

    public HeldSender(Predicate<String> acceptAtOnce) {
        this.acceptAtOnce = acceptAtOnce;
    }

    public HeldSender() {
        this(id -> false);
    }

    @Override
    public void send(DeviceMessage message, Duration budget) {
        throw new UnsupportedOperationException("the server under test sends asynchronously");
    }

    @Override
    public CompletableFuture<Void> sendAsync(DeviceMessage message, Duration budget) {
        seen.add(message.deviceId());
        if (acceptAtOnce.test(message.deviceId())) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> answer = new CompletableFuture<>();
        held.add(new Held(message, answer));
        return answer;
    }

    /** The next held message; a test that waits here longer than a minute has found a server that never called. */
    public Held next() throws InterruptedException {
        Held h = held.poll(60, TimeUnit.SECONDS);
        if (h == null) {
            throw new AssertionError("no message reached the hub within a minute; seen so far: " + seen);
        }
        return h;
    }

    /** Every device a message was sent for, in the order the sends were called. */
    public List<String> seen() {
        return List.copyOf(seen);
    }
}
