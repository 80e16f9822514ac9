package dev.iotcbridge.sim;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A simulated service's request cycle: draw a fault, compute the answer, then write it now or after the latency.
 * A delayed answer is written by a scheduled task, so a slow hub holds no thread while it waits and the number of
 * requests in flight is not capped by a pool size.
 */
abstract class Endpoint implements HttpHandler {

    private static final Logger LOG = Logger.getLogger(Endpoint.class.getName());

    /** Read at most this much of a body beyond a service's limit; the rest is drained unread. */
    private static final int DRAIN_CHUNK = 8192;

    final Clock clock;
    final FaultControl faults;
    private final ExecutorService pool;
    private final ScheduledExecutorService scheduler;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();

    Endpoint(Clock clock, FaultControl faults, ExecutorService pool, ScheduledExecutorService scheduler) {
        this.clock = clock;
        this.faults = faults;
        this.pool = pool;
        this.scheduler = scheduler;
    }

    /** The normal answer (the request takes effect here). */
    abstract Reply serve(HttpExchange exchange) throws IOException;

    /** The answer for an injected error, in this service's body shape. */
    abstract Reply errorReply(SimError error);

    /** Requests that no fault or latency applies to (the control API). */
    boolean exempt(HttpExchange exchange) {
        return false;
    }

    /** Called when a request arrives, before any fault is drawn. */
    void arrived(HttpExchange exchange) {
    }

    /** Called once the answer (or its cut) has been written or abandoned. */
    void answered(HttpExchange exchange) {
    }

    @Override
    public final void handle(HttpExchange exchange) {
        if (exempt(exchange)) {
            write(exchange, safeServe(exchange));
            return;
        }
        requests.incrementAndGet();
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        arrived(exchange);
        Reply reply;
        Optional<FaultControl.Fault> fault = faults.draw();
        if (fault.isPresent() && fault.get() instanceof FaultControl.Fail fail) {
            drain(exchange);
            reply = errorReply(fail.error());
        } else {
            reply = safeServe(exchange);
            if (fault.isPresent()) {
                reply = reply.cutHalfWay();
            }
        }
        Duration delay = faults.latency();
        if (delay.isZero()) {
            finish(exchange, reply);
            return;
        }
        Reply delayed = reply;
        try {
            scheduler.schedule(() -> pool.execute(() -> finish(exchange, delayed)), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            finish(exchange, delayed);
        }
    }

    int inFlight() {
        return inFlight.get();
    }

    int maxInFlight() {
        return maxInFlight.get();
    }

    long requests() {
        return requests.get();
    }

    void resetCounters() {
        maxInFlight.set(inFlight.get());
        requests.set(0);
    }

    /** The body, or null when it is longer than {@code limit} bytes (then it is drained and dropped). */
    static byte[] readBody(HttpExchange exchange, int limit) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] head = in.readNBytes(limit + 1);
            if (head.length <= limit) {
                return head;
            }
            byte[] sink = new byte[DRAIN_CHUNK];
            while (in.read(sink) >= 0) {
                // drain, so the connection can be reused for the answer
            }
            return null;
        }
    }

    private Reply safeServe(HttpExchange exchange) {
        try {
            return serve(exchange);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "simulator failed to serve " + exchange.getRequestMethod() + " "
                    + exchange.getRequestURI().getRawPath(), e);
            return errorReply(SimError.serverError());
        }
    }

    private void finish(HttpExchange exchange, Reply reply) {
        try {
            write(exchange, reply);
        } finally {
            inFlight.decrementAndGet();
            answered(exchange);
        }
    }

    private static void drain(HttpExchange exchange) {
        try (InputStream in = exchange.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // the client went away; nothing to answer
        }
    }

    private static void write(HttpExchange exchange, Reply reply) {
        try {
            reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
            byte[] body = reply.body();
            if (reply.cut()) {
                if (body.length == 0) {
                    // nothing to cut half-way: close before the status line, the client sees the connection drop
                    exchange.close();
                    return;
                }
                exchange.sendResponseHeaders(reply.status(), body.length);
                OutputStream out = exchange.getResponseBody();
                out.write(Arrays.copyOf(body, body.length / 2));
                out.flush();
                exchange.close(); // fewer bytes than announced: the server drops the connection
                return;
            }
            if (body.length == 0) {
                exchange.sendResponseHeaders(reply.status(), -1);
            } else {
                exchange.sendResponseHeaders(reply.status(), body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        } catch (IOException e) {
            LOG.log(Level.FINE, "client went away before its answer", e);
        } finally {
            exchange.close();
        }
    }
}
