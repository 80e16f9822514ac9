package dev.iotcbridge.sim;

import java.time.Duration;

/** Where a request's answer goes: the connection it came on. */
interface Responder {

    /** Writes the answer (from any thread); exactly once per request. */
    void send(SimResponse reply);

    /** Runs {@code task} on the connection's I/O thread after {@code delay}, holding no thread meanwhile. */
    void after(Duration delay, Runnable task);
}
