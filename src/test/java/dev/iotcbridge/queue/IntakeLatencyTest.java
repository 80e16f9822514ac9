package dev.iotcbridge.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.iotcbridge.iot.DeviceMessage;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Measures what durable mode adds to a webhook call: putting one message on a local Azurite queue. Prints the
 * percentiles (README "synchronous vs durable mode"); asserts only that every measured message was queued.
 */
@Tag("measurement") // a measurement, not a test: mvn test -Dgroups=measurement -Dtest=IntakeLatencyTest
@ExtendWith(Azurite.class)
class IntakeLatencyTest {

    private static final int WARM_UP = 100;
    private static final int MEASURED = 500;

    @Test
    void intakeLatencyOfOneMessageOnALocalAzurite(Azurite.Service azurite) {
        String name = azurite.newQueueName();
        QueueConnection connection = QueueConnection.open(azurite.connectionString(), name, name + "-poison",
                Duration.ofSeconds(5), Clock.systemUTC());
        QueueIntake intake = new QueueIntake(connection.queue(), new QueueItems(Clock.systemUTC()));
        DeviceMessage message = DurableDeliveryTest.message("a84041000181c150", Optional.empty());

        for (int i = 0; i < WARM_UP; i++) {
            intake.enqueue("ttn", List.of(message));
        }
        long[] nanos = new long[MEASURED];
        for (int i = 0; i < MEASURED; i++) {
            long start = System.nanoTime();
            intake.enqueue("ttn", List.of(message));
            nanos[i] = System.nanoTime() - start;
        }

        Arrays.sort(nanos);
        System.out.println(String.format(Locale.ROOT,
                "durable intake, one message on a local Azurite (%d calls after %d warm-up): p50 %.2f ms, p90 %.2f ms, "
                        + "p99 %.2f ms, max %.2f ms", MEASURED, WARM_UP, ms(nanos, 0.50), ms(nanos, 0.90), ms(nanos, 0.99),
                nanos[MEASURED - 1] / 1e6));
        assertEquals(WARM_UP + MEASURED, connection.queue().getProperties().getApproximateMessagesCount());
    }

    private static double ms(long[] sorted, double quantile) {
        return sorted[(int) Math.ceil(quantile * sorted.length) - 1] / 1e6;
    }
}
