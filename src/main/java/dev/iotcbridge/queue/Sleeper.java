package dev.iotcbridge.queue;

import java.time.Duration;

/** Waits; injected so that tests and shutdown control the delivery worker's idle polling. */
@FunctionalInterface
public interface Sleeper {

    Sleeper SYSTEM = d -> Thread.sleep(d.toMillis());

    void sleep(Duration duration) throws InterruptedException;
}
