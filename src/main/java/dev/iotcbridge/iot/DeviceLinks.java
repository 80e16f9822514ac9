package dev.iotcbridge.iot;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.error.Completion;
import dev.iotcbridge.error.DeviceRefusedException;
import dev.iotcbridge.error.TryLaterException;
import dev.iotcbridge.iot.DpsPolicy.Verdict;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The device-link cache and everything that fills it.
 * <ul>
 * <li>Bounded Caffeine cache, device id to {@link DeviceLink}, evicting the least used and the long unused.</li>
 * <li>Single flight: all callers that need a device provisioned at the same time wait on one registration.</li>
 * <li>Admission as a rate: a registration starts when the provisioner's token bucket gives it a token. One whose
 *     turn is later is queued (a task on the scheduler at its turn) and keeps its place; a caller whose budget ends
 *     before that turn is answered 503 at once with a Retry-After from the turn, and its retry finds the device
 *     registered, or joins the registration still in flight.</li>
 * <li>Registrations hold no thread: they are the provisioner's futures, their waits scheduled tasks, and a caller's
 *     budget is a timer on the same scheduler (the injected clock's), never a blocked thread.</li>
 * <li>A refused or failed registration is remembered for a back-off window, so a flood of webhooks for a blocked
 *     device is answered from memory instead of hammering DPS.</li>
 * </ul>
 */
final class DeviceLinks implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DeviceLinks.class.getName());
    /** The call back-off step whose ceiling is the largest: a draw from 0 to 16 s, so a fleet's retries spread out. */
    private static final long KEPT_LINK_STEP = 5;

    private final Cache<String, DeviceLink> links;
    private final Cache<String, Refusal> refusals;
    private final ConcurrentHashMap<String, Flight> inFlight = new ConcurrentHashMap<>();
    private final Provisioner provisioner;
    private final IotOptions options;
    private final Ticker ticker;
    private final Scheduler scheduler;
    /**
     * Opened by every re-provisioning that gets its link, here where the registration ends: a registration that
     * outlives the call that started it (DPS at its real pace, a turn in the admission queue) must still hold the
     * device back, or the next call would register it again.
     */
    private final ReprovisionWindow window;

    /**
     * The device's call back-off (the sender's, shared): how soon a caller is asked back while the device keeps a link
     * that its next call can try.
     */
    private final Backoff callBackoff;

    DeviceLinks(Provisioner provisioner, IotOptions options, Ticker ticker, Scheduler scheduler, ReprovisionWindow window,
                Backoff callBackoff) {
        this.window = window;
        this.callBackoff = callBackoff;
        this.provisioner = provisioner;
        this.options = options;
        this.ticker = ticker;
        this.scheduler = scheduler;
        this.links = Caffeine.newBuilder()
                .maximumSize(options.deviceCacheSize())
                .expireAfterAccess(options.deviceCacheExpiry())
                .ticker(ticker)
                .executor(Runnable::run) // maintenance inline: no ForkJoinPool tasks per write
                .build();
        this.refusals = Caffeine.newBuilder()
                .maximumSize(options.deviceCacheSize())
                .expireAfter(Expiry.creating((String id, Refusal r) -> r.window))
                .ticker(ticker)
                .executor(Runnable::run)
                .build();
    }

    /** The cached link, or null: the hot path. */
    DeviceLink cached(String deviceId) {
        return links.getIfPresent(deviceId);
    }

    /**
     * A link for the device, provisioning it if needed, waiting at most until the deadline.
     *
     * @param failed the link whose hub just failed this call (re-provision with a full registration), or null when
     *               the device simply is not cached
     * @throws BridgeException 403 (refused), 400 (id rejected by DPS), 429/503 (try later: throttled, busy, still
     *                         registering, budget spent), 5xx (DPS refuses the group key or misbehaves)
     */
    DeviceLink link(String deviceId, Optional<String> modelId, DeviceLink failed, Deadline deadline) {
        Joined pending = provisioning(deviceId, modelId, failed);
        BridgeException early = beforeTurn(deviceId, pending, deadline);
        if (early != null) {
            throw early;
        }
        try {
            // A spent budget still takes a link that is already there (a completed future answers at once).
            return pending.result.get(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw stillRegistering(deviceId, pending);
        } catch (ExecutionException e) {
            throw provisioningFailure(deviceId, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TryLaterException(503, "interrupted while provisioning device " + deviceId, options.pendingRetryAfter());
        }
    }

    /**
     * {@link #link} without a waiting thread, for a device that is not cached: completes with the link, or
     * exceptionally with what {@code link} would throw. Waiting callers of one registration share it; a caller whose
     * deadline passes (a timer on the scheduler, so on the injected clock) gets 503 "still being registered" without
     * cancelling the registration for the others. A caller whose budget cannot cover the wait for the registration's
     * turn plus a DPS round is answered 503 at once, with the Retry-After of that turn.
     */
    CompletableFuture<DeviceLink> linkAsync(String deviceId, Optional<String> modelId, Deadline deadline) {
        return linkAsync(deviceId, modelId, null, deadline);
    }

    /** {@link #linkAsync(String, Optional, Deadline)} for a re-provisioning: {@code failed} as for {@link #link}. */
    CompletableFuture<DeviceLink> linkAsync(String deviceId, Optional<String> modelId, DeviceLink failed, Deadline deadline) {
        CompletableFuture<DeviceLink> answer = join(deviceId, provisioning(deviceId, modelId, failed), deadline);
        return failed == null ? answer
                : answer.exceptionallyCompose(t -> CompletableFuture.failedFuture(keptLinkSoon(deviceId, Completion.cause(t))));
    }

    /** This caller's share of {@code pending}: its own copy of the outcome, bounded by its own budget. */
    private CompletableFuture<DeviceLink> join(String deviceId, Joined pending, Deadline deadline) {
        CompletableFuture<DeviceLink> mine = pending.result.copy();
        if (mine.isDone()) {
            return mine;
        }
        BridgeException early = beforeTurn(deviceId, pending, deadline);
        if (early != null) {
            return CompletableFuture.failedFuture(early);
        }
        CompletableFuture<DeviceLink> answer = scheduler.within(mine, Duration.ofNanos(Math.max(1, deadline.remainingNanos())),
                        () -> stillRegistering(deviceId, pending))
                .exceptionallyCompose(t -> CompletableFuture.failedFuture(provisioningFailure(deviceId, Completion.cause(t))));
        if (pending.flight() != null) {
            pending.flight().waiters.add(new Waiter(mine, deadline));
            if (mine.isDone()) {
                pending.flight().waiters.removeIf(w -> w.mine == mine);
            }
        }
        return answer;
    }

    /**
     * A re-provisioning answered 503 while the device still has a link (its re-registration is queued for its turn,
     * waits on DPS, or found no turn at all): the next call tries that link first, so the caller is asked back within
     * the call back-off rather than at the registration's turn, which may be a minute away. A hub that returns during a
     * fleet-wide outage is then found within seconds, not once every queued registration has had its turn. A
     * registration that failed has dropped the link: its answer stands, with the Retry-After of what it remembered.
     */
    private Throwable keptLinkSoon(String deviceId, Throwable cause) {
        if (!(cause instanceof TryLaterException later) || later.status() != 503 || links.getIfPresent(deviceId) == null) {
            return cause;
        }
        Duration soon = Duration.ofSeconds(BridgeException.wholeSeconds(callBackoff.delay(KEPT_LINK_STEP)));
        if (later.retryAfter().orElse(soon).compareTo(soon) <= 0) {
            return later;
        }
        return new TryLaterException(503, "IoT Hub did not take the message and device " + deviceId
                + " waits for its DPS re-registration; its current link is tried again first on the next call; retry in "
                + soon.toSeconds() + " s", soon);
    }

    /**
     * The device's hub refused it even after a fresh registration (disabled in IoT Central): forget its link and
     * remember the refusal, so that the next calls are answered 403 without a hub or DPS round trip.
     */
    DeviceRefusedException refuse(String deviceId, DeviceLink link, String message) {
        Refusal refusal = new Refusal(Verdict.REFUSED, options.refusalBackoff(), ticker.read(), message);
        if (!(refusal.window.isZero() || refusal.window.isNegative())) {
            refusals.put(deviceId, refusal);
        }
        links.asMap().remove(deviceId, link);
        return (DeviceRefusedException) refusal.firstException();
    }

    /** The caller's budget ran out first; the registration goes on (or waits for its turn) and serves its retry. */
    private TryLaterException stillRegistering(String deviceId, Joined pending) {
        long untilTurn = pending.untilTurn(ticker.read());
        Duration retryAfter = untilTurn > 0 ? afterTurn(untilTurn) : options.pendingRetryAfter();
        return new TryLaterException(503, "device " + deviceId + " is still being registered with DPS; retry in "
                + retryAfter.toSeconds() + " s", retryAfter);
    }

    /**
     * 503 at once when the registration's turn comes too late for this call: its turn plus one DPS round (DPS asks for
     * about 3 s between register and poll) does not fit the budget left. Null when the call may as well wait.
     */
    private TryLaterException beforeTurn(String deviceId, Joined pending, Deadline deadline) {
        long untilTurn = pending.untilTurn(ticker.read());
        if (untilTurn <= 0 || untilTurn + options.pendingRetryAfter().toNanos() < deadline.remainingNanos()) {
            return null;
        }
        Duration retryAfter = afterTurn(untilTurn);
        if (pending.flight() != null && pending.flight().backingOff) {
            return waitingForDps(deviceId, retryAfter);
        }
        return new TryLaterException(503, "device " + deviceId + " is queued for DPS registration (the bridge admits "
                + options.registrationsPerMinute() + " a minute, BRIDGE_DPS_REGISTRATIONS_PER_MINUTE); retry in "
                + retryAfter.toSeconds() + " s", retryAfter);
    }

    private static TryLaterException waitingForDps(String deviceId, Duration retryAfter) {
        return new TryLaterException(503, "DPS asked the bridge to wait before registering device " + deviceId
                + " again; retry in " + retryAfter.toSeconds() + " s", retryAfter);
    }

    /** When to retry for a registration whose turn is {@code untilTurn} away: its turn, then one DPS round. */
    private Duration afterTurn(long untilTurn) {
        return Duration.ofSeconds(BridgeException.wholeSeconds(Duration.ofNanos(untilTurn).plus(options.pendingRetryAfter())));
    }

    /** What a finished registration failed with, as the caller is answered. */
    private static BridgeException provisioningFailure(String deviceId, Throwable cause) {
        return cause instanceof BridgeException b ? b
                : new BridgeFaultException("provisioning device " + deviceId + " failed unexpectedly", cause);
    }

    /** A caller's share of a registration: its outcome, and when it starts (its token's turn; 0 once under way). */
    private record Joined(CompletableFuture<DeviceLink> result, Flight flight) {

        static Joined done(CompletableFuture<DeviceLink> result) {
            return new Joined(result, null);
        }

        /** How long until the registration's (next) turn, 0 when it is under way. */
        long untilTurn(long nowNanos) {
            return flight == null ? 0 : flight.untilTurn(nowNanos);
        }
    }

    private Joined provisioning(String deviceId, Optional<String> modelId, DeviceLink failed) {
        while (true) {
            Flight running = inFlight.get(deviceId);
            if (running != null) {
                if (failed == null || running.failed != null) {
                    return new Joined(running.result, running); // single flight: join the one under way
                }
                // A cold-cache flight may answer from the status lookup, which names the hub that just failed:
                // make it a full registration, and check what it brings in case its lookup had already answered.
                running.failed = failed;
                provisioner.fleet().reprovisioning();
                return new Joined(running.result.thenCompose(link -> serves(link, failed)
                        ? CompletableFuture.completedFuture(link) : provisioning(deviceId, modelId, failed).result()),
                        running);
            }
            DeviceLink current = links.getIfPresent(deviceId);
            if (current != null && serves(current, failed)) {
                // cached, or someone else re-provisioned it meanwhile
                return Joined.done(CompletableFuture.completedFuture(current));
            }
            Refusal refusal = refusals.getIfPresent(deviceId);
            if (refusal != null) {
                return Joined.done(CompletableFuture.failedFuture(refusal.toException(ticker.read())));
            }
            Flight mine = new Flight(failed);
            if (inFlight.putIfAbsent(deviceId, mine) != null) {
                continue; // lost the race to another caller: join theirs
            }
            // A registration may have finished between our checks and our claim: its link is in the cache now.
            current = links.getIfPresent(deviceId);
            if (current != null && serves(current, failed)) {
                inFlight.remove(deviceId, mine);
                mine.result.complete(current);
                return Joined.done(mine.result);
            }
            if (failed != null) {
                // counted per registration started, not per caller: the calls that share it are one re-provisioning
                provisioner.fleet().reprovisioning();
            }
            start(deviceId, modelId, mine);
            return new Joined(mine.result, mine);
        }
    }

    /**
     * Whether a cached link can serve a caller whose link {@code failed} (null: any link serves). A link on another
     * hub can; one on the same hub only if a full registration made it, because a status lookup just repeats the
     * assignment that failed. Compared by hub name, not by link identity: a lookup makes a new link to the old hub.
     */
    private static boolean serves(DeviceLink current, DeviceLink failed) {
        return failed == null
                || (current != failed && (current.registered || !current.hub.name.equals(failed.hub.name)));
    }

    /**
     * Takes the registration's token: now (it starts on this thread, which only sends its first DPS request), at a
     * later turn (a task on the scheduler then, and the flight waits in the queue with its place), or not at all when
     * the turn is beyond the admission horizon (503 with the turn's Retry-After, nothing queued, nothing remembered).
     */
    private void start(String deviceId, Optional<String> modelId, Flight flight) {
        long turn = provisioner.admit(options.admissionHorizon());
        if (turn < 0) {
            inFlight.remove(deviceId, flight);
            Duration retryAfter = afterTurn(-turn);
            flight.result.completeExceptionally(new TryLaterException(503, "too many devices are waiting for DPS registration"
                    + " (the bridge admits " + options.registrationsPerMinute() + " a minute, BRIDGE_DPS_REGISTRATIONS_PER_MINUTE);"
                    + " retry in " + retryAfter.toSeconds() + " s", retryAfter));
            return;
        }
        if (turn == 0) {
            register(deviceId, modelId, flight);
            return;
        }
        flight.startsAtNanos = ticker.read() + turn;
        try {
            scheduler.schedule(Duration.ofNanos(turn), () -> register(deviceId, modelId, flight));
        } catch (RuntimeException e) {
            settle(deviceId, flight, null, e); // the scheduler is shut down: the bridge is closing
        }
    }

    /** Starts the provisioning; whatever it ends with (an Error included) settles the flight. */
    private void register(String deviceId, Optional<String> modelId, Flight flight) {
        flight.startsAtNanos = Long.MIN_VALUE;
        CompletableFuture<DeviceLink> work;
        try {
            work = provisioner.provision(deviceId, modelId, flight::lookupAllowed,
                    Deadline.after(ticker, options.registrationTimeout()), at -> nextTurn(deviceId, flight, at));
        } catch (RuntimeException | Error e) {
            work = CompletableFuture.failedFuture(e);
        }
        work.whenComplete((link, t) -> settle(deviceId, flight, link, t == null ? null : Completion.cause(t)));
    }

    /**
     * Publishes the outcome (cache or refusal memory) before releasing the waiters, and always releases them:
     * whatever escapes (an Error included) must not leave a flight that nobody completes, or every call for the
     * device would wait on it until the process restarts.
     */
    private void settle(String deviceId, Flight flight, DeviceLink link, Throwable cause) {
        CompletableFuture<DeviceLink> result = flight.result;
        BridgeException failure = null;
        try {
            if (cause == null) {
                if (flight.failed != null) {
                    window.open(deviceId);
                }
                links.put(deviceId, link);
                inFlight.remove(deviceId, flight);
                result.complete(link);
            } else if (cause instanceof DpsFailure f) {
                Refusal refusal = refusal(deviceId, f);
                if (!(refusal.window.isZero() || refusal.window.isNegative())) {
                    refusals.put(deviceId, refusal);
                }
                if (refusal.verdict == Verdict.REFUSED) {
                    provisioner.fleet().refused();
                    links.invalidate(deviceId); // its hub refused it too: let the next call hit the refusal memory directly
                } else {
                    forgetDeadLink(deviceId, flight.failed);
                }
                LOG.log(f.transientFailure() ? Level.INFO : Level.WARNING, "DPS registration of device {0} failed: {1}",
                        new Object[] {deviceId, f.detail()});
                failure = refusal.firstException();
            } else {
                LOG.log(Level.WARNING, "DPS registration of device " + deviceId + " failed unexpectedly", cause);
                forgetDeadLink(deviceId, flight.failed);
                failure = new BridgeFaultException(502,
                        "DPS answered the registration of device " + deviceId + " with something the bridge cannot use", cause);
            }
        } catch (RuntimeException | Error e) {
            LOG.log(Level.WARNING, "settling the registration of device " + deviceId + " failed", e);
        } finally {
            if (!result.isDone()) {
                inFlight.remove(deviceId, flight);
                result.completeExceptionally(failure != null ? failure : new BridgeFaultException(502,
                        "the registration of device " + deviceId + " failed inside the bridge", null));
            }
        }
    }

    /**
     * The registration backs off until {@code atNanos} (DPS's Retry-After, or its own back-off, and its token):
     * callers whose budget cannot cover that plus a DPS round are answered now, 503 with a Retry-After from it, rather
     * than at the end of their budget with a guess.
     */
    private void nextTurn(String deviceId, Flight flight, long atNanos) {
        flight.backingOff = true;
        flight.startsAtNanos = atNanos;
        long now = ticker.read();
        long untilTurn = atNanos - now;
        for (Waiter w : flight.waiters) {
            if (untilTurn + options.pendingRetryAfter().toNanos() >= w.deadline.remainingNanos()) {
                flight.waiters.remove(w);
                Duration retryAfter = afterTurn(untilTurn);
                // completing the caller's own copy cancels its budget timer too
                w.mine.completeExceptionally(waitingForDps(deviceId, retryAfter));
            }
        }
    }

    /**
     * A re-provisioning that failed leaves no way to the device: drop the link whose hub failed, so that the next
     * calls go straight to the refusal memory instead of paying that hub's connect timeout (or error) first.
     */
    private void forgetDeadLink(String deviceId, DeviceLink failed) {
        if (failed != null) {
            links.asMap().remove(deviceId, failed);
        }
    }

    /** Maps a {@link DpsPolicy} verdict to what the caller is told, now and during the back-off window. */
    private Refusal refusal(String deviceId, DpsFailure f) {
        long now = ticker.read();
        return switch (f.verdict) {
            case REFUSED -> new Refusal(Verdict.REFUSED, options.refusalBackoff(), now,
                    "IoT Central refuses device " + deviceId + ": an operator blocked it, it awaits approval, or its "
                            + "enrollment is disabled (" + f.detail() + ")");
            case BAD_ID -> new Refusal(Verdict.BAD_ID, options.refusalBackoff(), now,
                    "DPS rejects the device id '" + deviceId + "' (" + f.detail() + ")");
            case KEY_REJECTED -> new Refusal(Verdict.KEY_REJECTED, options.failureBackoff(), now,
                    "DPS refuses the enrollment group key" + (options.secondaryKey().isPresent() ? "s" : "")
                            + " (" + f.detail() + "): check IOTC_GROUP_KEY and IOTC_ID_SCOPE");
            case SCOPE_UNKNOWN -> new Refusal(Verdict.SCOPE_UNKNOWN, options.failureBackoff(), now,
                    "DPS does not know the ID scope (" + f.detail() + "): check IOTC_ID_SCOPE (and IOTC_DPS_HOST)");
            case THROTTLED, TRANSIENT -> new Refusal(f.verdict,
                    f.usableRetryAfter() != null ? f.usableRetryAfter() : options.failureBackoff(), now,
                    "DPS could not register device " + deviceId + " yet (" + f.detail() + ")");
            // BROKEN, and (never made: DpsFailure refuses them) the verdicts that are not failures
            default -> new Refusal(Verdict.BROKEN, options.failureBackoff(), now,
                    "DPS could not assign device " + deviceId + " (" + f.detail() + ")");
        };
    }

    long size() {
        links.cleanUp();
        return links.estimatedSize();
    }

    /** For measurements and tests that fill the cache without DPS. */
    void put(String deviceId, DeviceLink link) {
        links.put(deviceId, link);
    }

    @Override
    public void close() {
        provisioner.close();
    }

    /** Requests the provisioner's DPS client has on the wire (tests move fake time only while DPS is quiet). */
    int dpsRequestsInFlight() {
        return provisioner.dpsRequestsInFlight();
    }

    /** One registration under way (or queued for its turn), joined by every caller that needs the device meanwhile. */
    private static final class Flight {

        final CompletableFuture<DeviceLink> result = new CompletableFuture<>();
        /**
         * The link whose hub failed, when a re-provisioner started or joined this flight: the status lookup would
         * name that hub again, so only a full registration may answer. Null for a cold-cache flight.
         */
        volatile DeviceLink failed;
        /** When its token's (or its next attempt's) turn comes, on the ticker; {@code Long.MIN_VALUE} while under way. */
        volatile long startsAtNanos = Long.MIN_VALUE;
        /** Whether its turn is a DPS back-off (429/5xx) rather than a place in the admission queue: for the message. */
        volatile boolean backingOff;
        /** Callers waiting with a budget (linkAsync), to be answered early when a back-off outlasts it. */
        final Queue<Waiter> waiters = new ConcurrentLinkedQueue<>();

        Flight(DeviceLink failed) {
            this.failed = failed;
        }

        boolean lookupAllowed() {
            return failed == null;
        }

        /** How long until its turn, 0 while under way (no subtraction from the sentinel: it would overflow). */
        long untilTurn(long nowNanos) {
            long at = startsAtNanos;
            return at == Long.MIN_VALUE ? 0 : at - nowNanos;
        }
    }

    /** A caller waiting on a flight: its own copy of the result, and its budget. */
    private record Waiter(CompletableFuture<DeviceLink> mine, Deadline deadline) {
    }

    /** A remembered refusal: what to answer until the window ends. */
    private record Refusal(Verdict verdict, Duration window, long sinceNanos, String message) {

        /** The answer to the call whose registration failed: a transient failure is a 503 like any outage. */
        BridgeException firstException() {
            return verdict.transientFailure()
                    ? new TryLaterException(503, message, Duration.ofSeconds(BridgeException.wholeSeconds(window)))
                    : toException(sinceNanos);
        }

        /** The answer during the window: the verdict's status, and 429 "slow down" for a transient failure. */
        BridgeException toException(long nowNanos) {
            Duration left = Duration.ofSeconds(BridgeException.wholeSeconds(window.minusNanos(nowNanos - sinceNanos)));
            return switch (verdict) {
                case REFUSED -> new DeviceRefusedException(message, left);
                case BAD_ID -> new BadInputException(400, message);
                case THROTTLED, TRANSIENT -> new TryLaterException(429, message + "; retry in " + left.toSeconds() + " s", left);
                // KEY_REJECTED, SCOPE_UNKNOWN: 500, the operator's configuration; BROKEN: 502, DPS's answer
                default -> new BridgeFaultException(verdict.status, message, null);
            };
        }
    }
}
