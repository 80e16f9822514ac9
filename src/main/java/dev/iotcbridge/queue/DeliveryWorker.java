package dev.iotcbridge.queue;

import com.azure.core.util.Context;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.models.QueueMessageItem;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.iot.Backoff;
import dev.iotcbridge.iot.Sleeper;
import dev.iotcbridge.iot.TelemetrySender;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * The local server's delivery side of durable mode: receives queued messages, forwards each through the core and
 * carries out {@link QueueDelivery}'s verdict on the queue. At most {@code workers} messages are in delivery at once,
 * and a message is only received when a worker is free for it, so no lease runs out while it waits.
 *
 * <p>Delivery is at least once: a message whose delivery or deletion did not finish (the process stopped, the
 * queue was unreachable) comes back after its lease, with the same messageId.
 */
public final class DeliveryWorker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DeliveryWorker.class.getName());
    /** The most messages one receive may return (a Storage limit). */
    private static final int RECEIVE_MAX = 32;
    /** Storage keeps a message invisible for at most 7 days. */
    static final Duration LONGEST_INVISIBLE = Duration.ofDays(7);

    private final QueueClient queue;
    private final QueueClient poison;
    private final QueueDelivery delivery;
    private final QueueOptions options;
    /** The bridge's one back-off formula; empty when the settings ask for none (a failed message comes back at once). */
    private final Optional<Backoff> backoff;
    private final Sleeper sleeper;
    private final Semaphore free;
    private final ExecutorService workers;
    private final Thread poller;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong poisoned = new AtomicLong();
    private volatile boolean running;

    /** @param random the back-off's jitter: injected so that tests choose the draw */
    public DeliveryWorker(QueueClient queue, QueueClient poison, QueueDelivery delivery, QueueOptions options,
                          RandomGenerator random, Sleeper sleeper) {
        this.queue = Objects.requireNonNull(queue, "queue");
        this.poison = Objects.requireNonNull(poison, "poison");
        this.delivery = Objects.requireNonNull(delivery, "delivery");
        this.options = Objects.requireNonNull(options, "options");
        Objects.requireNonNull(random, "random");
        this.backoff = options.backoff().isZero() ? Optional.empty()
                : Optional.of(new Backoff(options.backoff(), options.maxBackoff(), random));
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.free = new Semaphore(options.workers());
        this.workers = Executors.newFixedThreadPool(options.workers(), threads("queue-delivery-"));
        this.poller = threads("queue-receiver-").newThread(this::poll);
    }

    /** A worker for the settings' queue, forwarding through {@code sender}; call {@link #start()} to run it. */
    public static DeliveryWorker create(QueueConnection connection, TelemetrySender sender, Settings settings) {
        return create(connection, QueueDelivery.of(sender, QueueOptions.from(settings), Clock.systemUTC()), settings);
    }

    /** A worker for the settings' queue, delivering with {@code delivery} (which may make downlinks after). */
    public static DeliveryWorker create(QueueConnection connection, QueueDelivery delivery, Settings settings) {
        QueueOptions options = QueueOptions.from(settings);
        // a Random is safe for the workers to share; the draw is made once per failed delivery, not per message sent
        return new DeliveryWorker(connection.queue(), connection.poison(), delivery, options, new Random(), Sleeper.SYSTEM);
    }

    public synchronized DeliveryWorker start() {
        if (!running) {
            running = true;
            poller.start();
            LOG.info(() -> "delivering from queue " + queue.getQueueName() + " with " + options.workers() + " workers");
        }
        return this;
    }

    /** Messages delivered, sent back for a later retry, and moved to the poison queue since the start. */
    public record Counts(long delivered, long retried, long poisoned) {
    }

    public Counts counts() {
        return new Counts(delivered.get(), retried.get(), poisoned.get());
    }

    /**
     * Stops receiving, lets the deliveries in progress finish (within one lease, after which their messages would
     * come back anyway), and stops the workers. Messages not received stay on the queue for the next start.
     */
    @Override
    public void close() {
        running = false;
        poller.interrupt();
        try {
            poller.join(options.lease().toMillis());
            workers.shutdown();
            if (!workers.awaitTermination(options.lease().toMillis(), TimeUnit.MILLISECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        LOG.info(() -> "stopped delivering from queue " + queue.getQueueName() + ": " + counts());
    }

    private void poll() {
        Duration idle = options.idlePollMin();
        while (running) {
            try {
                free.acquire(); // a worker is free: receive for it and for every other free one
                int drained = free.drainPermits();
                int extra = Math.min(drained, RECEIVE_MAX - 1);
                free.release(drained - extra);
                int wanted = 1 + extra;
                List<QueueMessageItem> received = receive(wanted);
                free.release(wanted - received.size());
                for (QueueMessageItem m : received) {
                    workers.execute(() -> {
                        try {
                            handle(m);
                        } finally {
                            free.release();
                        }
                    });
                }
                if (received.isEmpty()) {
                    sleeper.sleep(idle);
                    idle = min(idle.multipliedBy(2), options.idlePollMax());
                } else {
                    idle = options.idlePollMin();
                }
            } catch (InterruptedException e) {
                return; // close() stops the poller this way
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                LOG.log(Level.WARNING, "could not receive from queue " + queue.getQueueName() + "; trying again", e);
                try {
                    sleeper.sleep(options.idlePollMax());
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    private List<QueueMessageItem> receive(int wanted) {
        List<QueueMessageItem> received = new ArrayList<>(wanted);
        try {
            queue.receiveMessages(wanted, options.lease(), null, Context.NONE).forEach(received::add);
        } catch (RuntimeException e) {
            free.release(wanted);
            throw e;
        }
        return received;
    }

    /** Carries out the verdict for one message; a queue failure here only means the message comes back later. */
    private void handle(QueueMessageItem m) {
        String id = m.getMessageId();
        try {
            QueueDelivery.Outcome outcome = delivery.deliver(m.getBody().toString(), m.getDequeueCount());
            if (outcome instanceof QueueDelivery.Retry r) {
                Duration wait = invisibleFor(backoff, m.getDequeueCount(), r.failure().retryAfter());
                queue.updateMessage(id, m.getPopReceipt(), null, wait);
                retried.incrementAndGet();
                return;
            }
            if (outcome instanceof QueueDelivery.Poison p) {
                // first, so that a failure in between duplicates rather than loses
                poison.sendMessageWithResponse(p.entry(), null, QueueConnection.NEVER_EXPIRES, null, Context.NONE);
                queue.deleteMessage(id, m.getPopReceipt());
                poisoned.incrementAndGet();
                return;
            }
            queue.deleteMessage(id, m.getPopReceipt());
            delivered.incrementAndGet();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "queue message " + id + " could not be settled on the queue; it comes back after its lease", e);
        }
    }

    /**
     * How long a message that failed transiently stays invisible before its next delivery: the bridge's back-off
     * (exponential, full jitter, never shorter than the hub's Retry-After), in the whole seconds of a Storage queue's
     * visibility timeout. Rounded up, and at least one second when there is a back-off at all: a draw below a second
     * (full jitter draws from zero) must not round down to an immediate redelivery. At most what Storage allows.
     *
     * @param failures   deliveries of this message that failed so far, at least 1
     * @param retryAfter what the hub asked for, if anything
     */
    static Duration invisibleFor(Optional<Backoff> backoff, long failures, Optional<Duration> retryAfter) {
        Duration wanted = backoff.map(b -> b.delay(failures, retryAfter.orElse(null))).orElse(retryAfter.orElse(Duration.ZERO));
        long seconds = (wanted.toMillis() + 999) / 1000;
        if (backoff.isPresent()) {
            seconds = Math.max(1, seconds);
        }
        return Duration.ofSeconds(Math.min(seconds, LONGEST_INVISIBLE.toSeconds()));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
