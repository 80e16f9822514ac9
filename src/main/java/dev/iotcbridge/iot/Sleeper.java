package dev.iotcbridge.iot;

import java.time.Duration;

/** Waits between DPS polls and between retries; injected so that tests advance a clock instead of sleeping. */
@FunctionalInterface
public interface Sleeper {

    Sleeper SYSTEM = d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);

    void sleep(Duration duration) throws InterruptedException;
}
