package dev.iotcbridge.iot;

import java.time.Duration;

/** The durable-mode worker's pause when its queue is empty or unreachable; injected so that tests do not sleep. */
@FunctionalInterface
public interface Sleeper {

    Sleeper SYSTEM = d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);

    void sleep(Duration duration) throws InterruptedException;
}
