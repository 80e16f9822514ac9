package dev.iotcbridge.queue;

import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.iot.TelemetrySender;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What to do with one queued message, shared by the local {@link DeliveryWorker} and the queue-triggered Function:
 * forward it through the core, then say whether it is done, should come back later, or belongs in the poison queue.
 * The caller carries the outcome out on its queue (delete, make visible later, move).
 *
 * <p>A transient failure (429, 503, a fault: {@link BridgeException#retryable()}) comes back until the message has
 * been delivered {@code maxDequeueCount} times; a permanent one (a blocked device, input the hub refuses) and an
 * item that is not a bridge message go to the poison queue at once, since retrying cannot help.
 */
public final class QueueDelivery {

    private static final Logger LOG = Logger.getLogger(QueueDelivery.class.getName());

    /** What became of one delivery. */
    public sealed interface Outcome permits Delivered, Retry, Poison {
    }

    /** The hub accepted the message: delete it. */
    public record Delivered(QueuedMessage item) implements Outcome {
    }

    /** A transient failure: leave the message on the queue to come back later. */
    public record Retry(QueuedMessage item, BridgeException failure) implements Outcome {
    }

    /** Give up: write {@code entry} to the poison queue, then delete the message. */
    public record Poison(PoisonReason reason, String entry) implements Outcome {
    }

    /**
     * What durable mode does after a message reached its hub when its sender offered a downlink request: receives the
     * device's queued command and makes the request (docs/commands.md). It blocks the worker's thread, stays within
     * {@code budget}, and never throws: whatever becomes of the command, the message is delivered.
     */
    @FunctionalInterface
    public interface Downlinks {
        void afterDelivery(QueuedMessage item, Duration budget);
    }

    private final TelemetrySender sender;
    private final QueueMessageCodec codec;
    private final int maxDequeueCount;
    private final Duration budget;
    private final Clock clock;
    private final Downlinks downlinks;

    public QueueDelivery(TelemetrySender sender, QueueMessageCodec codec, int maxDequeueCount, Duration budget, Clock clock) {
        this(sender, codec, maxDequeueCount, budget, clock, null);
    }

    private QueueDelivery(TelemetrySender sender, QueueMessageCodec codec, int maxDequeueCount, Duration budget, Clock clock,
                          Downlinks downlinks) {
        this.downlinks = downlinks;
        this.sender = Objects.requireNonNull(sender, "sender");
        this.codec = Objects.requireNonNull(codec, "codec");
        this.maxDequeueCount = maxDequeueCount;
        this.budget = Objects.requireNonNull(budget, "budget");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public static QueueDelivery of(TelemetrySender sender, QueueOptions options, Clock clock) {
        return new QueueDelivery(sender, new QueueMessageCodec(), options.maxDequeueCount(), options.deliveryBudget(), clock);
    }

    /** This delivery, followed by the downlink its sender offered when a message carries one. */
    public QueueDelivery withDownlinks(Downlinks step) {
        return new QueueDelivery(sender, codec, maxDequeueCount, budget, clock, Objects.requireNonNull(step, "step"));
    }

    /**
     * @param itemText     the queue message's text (already Base64-decoded)
     * @param dequeueCount how many times the queue has handed this message out, this time included
     */
    public Outcome deliver(String itemText, long dequeueCount) {
        QueuedMessage item;
        try {
            item = codec.decode(itemText);
        } catch (BadInputException e) {
            LOG.warning(() -> "queue item poisoned attempts=" + dequeueCount + " error=" + e.getMessage());
            return poison(itemText, e.status(), e.getMessage(), dequeueCount);
        }
        if (dequeueCount > maxDequeueCount) {
            // the earlier deliveries never finished (the process stopped, or a lease ran out): do not try forever
            String error = "gave up: " + (dequeueCount - 1) + " deliveries did not finish";
            LOG.warning(() -> line(item, "poisoned", dequeueCount, 0L) + " error=" + error);
            return poison(itemText, 500, error, dequeueCount);
        }
        long start = System.nanoTime();
        BridgeException failure;
        try {
            sender.send(item.message(), budget);
            LOG.info(() -> line(item, "delivered", dequeueCount, millisSince(start)));
            if (downlinks != null && item.downlink().isPresent()) {
                try {
                    downlinks.afterDelivery(item, budget);
                } catch (RuntimeException e) {
                    LOG.log(Level.SEVERE, "unexpected failure in the downlink of queued message " + item.messageId()
                            + "; the message is delivered", e);
                }
            }
            return new Delivered(item);
        } catch (BridgeException e) {
            failure = e;
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "unexpected failure delivering queued message " + item.messageId(), e);
            failure = new BridgeFaultException("internal error delivering the message; it was not delivered", e);
        }
        BridgeException f = failure;
        if (f.retryable() && dequeueCount < maxDequeueCount) {
            LOG.warning(() -> line(item, "retry", dequeueCount, millisSince(start)) + " status=" + f.status() + " error=" + f.getMessage());
            return new Retry(item, f);
        }
        String error = f.retryable() ? "gave up after " + dequeueCount + " deliveries: " + f.getMessage() : f.getMessage();
        LOG.warning(() -> line(item, "poisoned", dequeueCount, millisSince(start)) + " status=" + f.status() + " error=" + error);
        return poison(itemText, f.status(), error, dequeueCount);
    }

    private Poison poison(String itemText, int status, String error, long attempts) {
        PoisonReason reason = new PoisonReason(status, error, attempts, clock.instant());
        return new Poison(reason, codec.encodePoison(itemText, reason));
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private static String line(QueuedMessage item, String outcome, long attempts, long latencyMs) {
        return "route=" + item.route() + " device=" + item.deviceId() + " messageId=" + item.messageId() + " " + outcome
                + " attempts=" + attempts + " latencyMs=" + latencyMs;
    }
}
