package dev.iotcbridge.queue;

import dev.iotcbridge.config.Settings;
import java.time.Duration;
import java.util.Objects;

/**
 * How durable mode delivers, from {@link Settings}.
 *
 * @param maxDequeueCount deliveries of one message before it goes to the poison queue (same as host.json's)
 * @param backoff         first wait after a transient failure
 * @param maxBackoff      longest such wait, unless the hub asks for longer
 * @param workers         messages forwarded at once by the local delivery worker
 * @param deliveryBudget  time one delivery may spend on retries inside the forwarding core
 * @param lease           how long a received message stays invisible while it is being delivered; longer than the
 *                        budget, so that a slow delivery is not handed to a second worker meanwhile
 * @param idlePollMin     first wait after the queue was found empty
 * @param idlePollMax     longest such wait (each empty receive doubles it; a message resets it)
 */
public record QueueOptions(int maxDequeueCount, Duration backoff, Duration maxBackoff, int workers,
                           Duration deliveryBudget, Duration lease, Duration idlePollMin, Duration idlePollMax) {

    /** Margin of the lease over the delivery budget, for the queue calls around the delivery. */
    static final Duration LEASE_MARGIN = Duration.ofSeconds(30);

    public QueueOptions {
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(deliveryBudget, "deliveryBudget");
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(idlePollMin, "idlePollMin");
        Objects.requireNonNull(idlePollMax, "idlePollMax");
        requireArgument(maxDequeueCount >= 1, "maxDequeueCount must be at least 1, was %s", maxDequeueCount);
        requireArgument(workers >= 1, "workers must be at least 1, was %s", workers);
        requireArgument(!backoff.isNegative(), "backoff must not be negative, was %s", backoff);
        requireArgument(maxBackoff.compareTo(backoff) >= 0, "maxBackoff (%s) must not be less than backoff (%s)", maxBackoff, backoff);
        requireArgument(lease.toSeconds() >= 1, "lease must be at least 1 s (Storage's granularity), was %s", lease);
        requireArgument(!idlePollMin.isNegative(), "idlePollMin must not be negative, was %s", idlePollMin);
        requireArgument(idlePollMax.compareTo(idlePollMin) >= 0, "idlePollMax (%s) must not be less than idlePollMin (%s)",
                idlePollMax, idlePollMin);
    }

    private static void requireArgument(boolean ok, String template, Object... args) {
        if (!ok) {
            throw new IllegalArgumentException(String.format(template, args));
        }
    }

    public static QueueOptions from(Settings settings) {
        return new QueueOptions(settings.queueMaxDequeueCount(), settings.queueBackoff(), settings.queueMaxBackoff(),
                settings.queueWorkers(), settings.requestBudget(), settings.requestBudget().plus(LEASE_MARGIN),
                Duration.ofMillis(100), Duration.ofSeconds(2));
    }
}
