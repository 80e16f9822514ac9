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
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The device-link cache and everything that fills it.
 * <ul>
 * <li>Bounded Caffeine cache, device id to {@link DeviceLink}, evicting the least used and the long unused.</li>
 * <li>Single flight: all callers that need a device provisioned at the same time wait on one registration.</li>
 * <li>Registrations run on their own threads ({@code maxRegistrations} of them: the global cap that protects the DPS
 *     quota) and keep going when the call that started them runs out of budget; the sender's retry then finds the
 *     link ready, or joins the registration still in flight.</li>
 * <li>A refused or failed registration is remembered for a back-off window, so a flood of webhooks for a blocked
 *     device is answered from memory instead of hammering DPS.</li>
 * </ul>
 */
final class DeviceLinks implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DeviceLinks.class.getName());

    private final Cache<String, DeviceLink> links;
    private final Cache<String, Refusal> refusals;
    private final ConcurrentHashMap<String, Flight> inFlight = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor registrations;
    private final Provisioner provisioner;
    private final IotOptions options;
    private final Ticker ticker;

    DeviceLinks(Provisioner provisioner, IotOptions options, Ticker ticker) {
        this.provisioner = provisioner;
        this.options = options;
        this.ticker = ticker;
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
        AtomicInteger n = new AtomicInteger();
        this.registrations = new ThreadPoolExecutor(options.maxRegistrations(), options.maxRegistrations(),
                30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(options.registrationQueue()), r -> {
                    Thread t = new Thread(r, "iotc-dps-registration-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.registrations.allowCoreThreadTimeOut(true);
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
        CompletableFuture<DeviceLink> pending = provisioning(deviceId, modelId, failed);
        try {
            // A spent budget still takes a link that is already there (a completed future answers at once).
            return pending.get(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw stillRegistering(deviceId);
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
     * deadline passes gets 503 "still being registered" without cancelling the registration for the others.
     */
    CompletableFuture<DeviceLink> linkAsync(String deviceId, Optional<String> modelId, Deadline deadline) {
        return linkAsync(deviceId, modelId, null, deadline);
    }

    /** {@link #linkAsync(String, Optional, Deadline)} for a re-provisioning: {@code failed} as for {@link #link}. */
    CompletableFuture<DeviceLink> linkAsync(String deviceId, Optional<String> modelId, DeviceLink failed, Deadline deadline) {
        CompletableFuture<DeviceLink> mine = provisioning(deviceId, modelId, failed).copy();
        if (mine.isDone()) {
            return mine;
        }
        return mine.orTimeout(Math.max(1, deadline.remainingNanos()), TimeUnit.NANOSECONDS)
                .exceptionallyCompose(t -> {
                    Throwable cause = Completion.cause(t);
                    return CompletableFuture.failedFuture(cause instanceof TimeoutException
                            ? stillRegistering(deviceId) : provisioningFailure(deviceId, cause));
                });
    }

    /**
     * The device's hub refused it even after a fresh registration (disabled in IoT Central): forget its link and
     * remember the refusal, so that the next calls are answered 403 without a hub or DPS round trip.
     */
    DeviceRefusedException refuse(String deviceId, DeviceLink link, String message) {
        Refusal refusal = new Refusal(Refusal.Kind.REFUSED, options.refusalBackoff(), ticker.read(), message);
        if (!(refusal.window.isZero() || refusal.window.isNegative())) {
            refusals.put(deviceId, refusal);
        }
        links.asMap().remove(deviceId, link);
        return (DeviceRefusedException) refusal.firstException();
    }

    /** The caller's budget ran out first; the registration goes on and serves its retry. */
    private TryLaterException stillRegistering(String deviceId) {
        return new TryLaterException(503, "device " + deviceId + " is still being registered with DPS; retry in "
                + options.pendingRetryAfter().toSeconds() + " s", options.pendingRetryAfter());
    }

    /** What a finished registration failed with, as the caller is answered. */
    private static BridgeException provisioningFailure(String deviceId, Throwable cause) {
        return cause instanceof BridgeException b ? b
                : new BridgeFaultException("provisioning device " + deviceId + " failed unexpectedly", cause);
    }

    private CompletableFuture<DeviceLink> provisioning(String deviceId, Optional<String> modelId, DeviceLink failed) {
        while (true) {
            Flight running = inFlight.get(deviceId);
            if (running != null) {
                if (failed == null || running.failed != null) {
                    return running.result; // single flight: join the registration already under way
                }
                // A cold-cache flight may answer from the status lookup, which names the hub that just failed:
                // make it a full registration, and check what it brings in case its lookup had already answered.
                running.failed = failed;
                return running.result.thenCompose(link -> serves(link, failed)
                        ? CompletableFuture.completedFuture(link) : provisioning(deviceId, modelId, failed));
            }
            DeviceLink current = links.getIfPresent(deviceId);
            if (current != null && serves(current, failed)) {
                return CompletableFuture.completedFuture(current); // cached, or someone else re-provisioned it meanwhile
            }
            Refusal refusal = refusals.getIfPresent(deviceId);
            if (refusal != null) {
                return CompletableFuture.failedFuture(refusal.toException(ticker.read()));
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
                return mine.result;
            }
            start(deviceId, modelId, mine);
            return mine.result;
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

    private void start(String deviceId, Optional<String> modelId, Flight flight) {
        try {
            registrations.execute(() -> register(deviceId, modelId, flight));
        } catch (RejectedExecutionException e) {
            inFlight.remove(deviceId, flight);
            flight.result.completeExceptionally(new TryLaterException(503, "too many devices are waiting for DPS registration; retry in "
                    + options.failureBackoff().toSeconds() + " s", options.failureBackoff()));
        }
    }

    /**
     * On a registration thread. Publishes the outcome (cache or refusal memory) before releasing the waiters, and
     * always releases them: whatever escapes (an Error included) must not leave a flight that nobody completes,
     * or every call for the device would wait on it until the process restarts.
     */
    private void register(String deviceId, Optional<String> modelId, Flight flight) {
        CompletableFuture<DeviceLink> result = flight.result;
        Deadline deadline = Deadline.after(ticker, options.registrationTimeout());
        BridgeException failure = null;
        try {
            DeviceLink link = provisioner.provision(deviceId, modelId, flight::lookupAllowed, deadline);
            links.put(deviceId, link);
            inFlight.remove(deviceId, flight);
            result.complete(link);
        } catch (DpsFailure f) {
            Refusal refusal = refusal(deviceId, f);
            if (!(refusal.window.isZero() || refusal.window.isNegative())) {
                refusals.put(deviceId, refusal);
            }
            if (refusal.kind == Refusal.Kind.REFUSED) {
                links.invalidate(deviceId); // its hub refused it too: let the next call hit the refusal memory directly
            } else {
                forgetDeadLink(deviceId, flight.failed);
            }
            LOG.log(f.transientFailure() ? Level.INFO : Level.WARNING, "DPS registration of device {0} failed: {1}",
                    new Object[] {deviceId, f.detail()});
            failure = refusal.firstException();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "DPS registration of device " + deviceId + " failed unexpectedly", e);
            forgetDeadLink(deviceId, flight.failed);
            failure = new BridgeFaultException(502,
                    "DPS answered the registration of device " + deviceId + " with something the bridge cannot use", e);
        } finally {
            if (!result.isDone()) {
                inFlight.remove(deviceId, flight);
                result.completeExceptionally(failure != null ? failure : new BridgeFaultException(502,
                        "the registration of device " + deviceId + " failed inside the bridge", null));
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

    /** Maps what DPS did to what the caller is told, now and during the back-off window. */
    private Refusal refusal(String deviceId, DpsFailure f) {
        return switch (f.kind) {
            case REFUSED -> new Refusal(Refusal.Kind.REFUSED, options.refusalBackoff(), ticker.read(),
                    "IoT Central refuses device " + deviceId + ": an operator blocked it or it awaits approval (" + f.detail() + ")");
            case BAD_ID -> new Refusal(Refusal.Kind.BAD_ID, options.refusalBackoff(), ticker.read(),
                    "DPS rejects the device id '" + deviceId + "' (" + f.detail() + ")");
            case UNAUTHORIZED -> new Refusal(Refusal.Kind.GROUP_KEY, options.failureBackoff(), ticker.read(),
                    "DPS refuses the enrollment group key" + (options.secondaryKey().isPresent() ? "s" : "")
                            + " (" + f.detail() + "): check IOTC_GROUP_KEY and IOTC_ID_SCOPE");
            case FAILED -> new Refusal(Refusal.Kind.FAULT, options.failureBackoff(), ticker.read(),
                    "DPS could not assign device " + deviceId + " (" + f.detail() + ")");
            case THROTTLED, TRANSIENT -> new Refusal(Refusal.Kind.TRANSIENT,
                    f.retryAfter != null && !f.retryAfter.isZero() && !f.retryAfter.isNegative() ? f.retryAfter : options.failureBackoff(), ticker.read(),
                    "DPS could not register device " + deviceId + " yet (" + f.detail() + ")");
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
        registrations.shutdownNow();
    }

    /** One registration under way, joined by every caller that needs the device meanwhile. */
    private static final class Flight {

        final CompletableFuture<DeviceLink> result = new CompletableFuture<>();
        /**
         * The link whose hub failed, when a re-provisioner started or joined this flight: the status lookup would
         * name that hub again, so only a full registration may answer. Null for a cold-cache flight.
         */
        volatile DeviceLink failed;

        Flight(DeviceLink failed) {
            this.failed = failed;
        }

        boolean lookupAllowed() {
            return failed == null;
        }
    }

    /** A remembered refusal: what to answer until the window ends. */
    private record Refusal(Kind kind, Duration window, long sinceNanos, String message) {

        enum Kind { REFUSED, BAD_ID, GROUP_KEY, FAULT, TRANSIENT }

        /** The answer to the call whose registration failed: a transient failure is a 503 like any outage. */
        BridgeException firstException() {
            return switch (kind) {
                case TRANSIENT -> new TryLaterException(503, message, Duration.ofSeconds(BridgeException.wholeSeconds(window)));
                default -> toException(sinceNanos);
            };
        }

        /** The answer during the window: 403/400/5xx as first, and 429 "slow down" for a transient failure. */
        BridgeException toException(long nowNanos) {
            Duration left = Duration.ofSeconds(BridgeException.wholeSeconds(window.minusNanos(nowNanos - sinceNanos)));
            return switch (kind) {
                case REFUSED -> new DeviceRefusedException(message, left);
                case BAD_ID -> new BadInputException(400, message);
                case GROUP_KEY -> new BridgeFaultException(500, message, null); // the operator's configuration
                case FAULT -> new BridgeFaultException(502, message, null);     // DPS's answer
                case TRANSIENT -> new TryLaterException(429, message + "; retry in " + left.toSeconds() + " s", left);
            };
        }

    }
}
