package dev.iotcbridge.sim;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A simulated service's request cycle: draw a fault, compute the answer, then write it now or after the latency.
 * It runs on the connection's I/O thread; a delayed answer is a timer on that thread, so a slow service holds no
 * thread while it waits and the number of requests in flight is not capped by a pool size.
 */
abstract class Endpoint {

    private static final Logger LOG = Logger.getLogger(Endpoint.class.getName());

    final Clock clock;
    final FaultControl faults;
    private final int bodyLimit;
    private final Executor exemptWork;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();

    /**
     * @param bodyLimit  longest body served; a longer one is read and dropped, and the request has a null body
     * @param exemptWork where exempt requests (the control API) run: they may stop and start listeners, which an
     *                   I/O thread must not wait for
     */
    Endpoint(Clock clock, FaultControl faults, int bodyLimit, Executor exemptWork) {
        this.clock = clock;
        this.faults = faults;
        this.bodyLimit = bodyLimit;
        this.exemptWork = exemptWork;
    }

    /** The normal answer (the request takes effect here). */
    abstract SimResponse serve(SimRequest request);

    /** The answer for an injected error, in this service's body shape. */
    abstract SimResponse errorReply(SimError error);

    /** Requests that no fault or latency applies to (the control API). */
    boolean exempt(SimRequest request) {
        return false;
    }

    /** Called when a request arrives, before any fault is drawn. */
    void arrived(SimRequest request) {
    }

    /** Called once the answer (or its cut) is about to be written. */
    void answered(SimRequest request) {
    }

    final int bodyLimit() {
        return bodyLimit;
    }

    /** Serves one request; its answer goes to {@code out} now, after the latency, or from the control API's thread. */
    final void handle(SimRequest request, Responder out) {
        if (exempt(request)) {
            try {
                exemptWork.execute(() -> out.send(safeServe(request)));
            } catch (RejectedExecutionException closing) {
                out.send(errorReply(SimError.serviceUnavailable()));
            }
            return;
        }
        requests.incrementAndGet();
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        arrived(request);
        SimResponse reply;
        Optional<FaultControl.Fault> fault = faults.draw();
        if (fault.isPresent() && fault.get() instanceof FaultControl.Fail fail) {
            reply = errorReply(fail.error());
        } else {
            reply = safeServe(request);
            if (fault.isPresent()) {
                reply = reply.cutHalfWay();
            }
        }
        Duration delay = faults.latency();
        if (delay.isZero()) {
            finish(request, reply, out);
        } else {
            SimResponse delayed = reply;
            out.after(delay, () -> finish(request, delayed, out));
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

    private SimResponse safeServe(SimRequest request) {
        try {
            return serve(request);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "simulator failed to serve " + request, e);
            return errorReply(SimError.serverError());
        }
    }

    /** Counts the request as answered before writing, so a client holding the answer sees settled counters. */
    private void finish(SimRequest request, SimResponse reply, Responder out) {
        inFlight.decrementAndGet();
        answered(request);
        out.send(reply);
    }
}
