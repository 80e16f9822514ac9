package dev.iotcbridge.iot;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.iotcbridge.error.Completion;
import dev.iotcbridge.iot.DpsPolicy.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * Provisions one device through DPS: derives its key, finds or makes its assignment, and returns the link the hub
 * client sends with. Asynchronous: its waits (DPS's Retry-After between polls, back-off after DPS 429/5xx) are tasks
 * on the injected {@link Scheduler}, so a provisioning that waits holds no thread.
 *
 * <p>Owns DPS admission: one {@link TokenBucket} that every provisioning attempt takes a token from (the first one
 * through {@link #admit}, each retry after a 429/5xx here), sized from DPS's documented rate limits (Azure
 * subscription and service limits, "IoT Hub Device Provisioning Service limits":
 * https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#iot-hub-device-provisioning-service-limits,
 * and docs/azure-protocol.md §2): 1,000 operations and 1,000 device registrations per minute per DPS, where every
 * API call is an operation and the operation polls are not (they have their own limit of 5 per 10 s per device,
 * which {@link DpsClient#POLLS_PER_WINDOW} keeps). One attempt is at most two operations (a status lookup and a
 * register), so the token is per attempt and the default rate leaves the quota room for every other instance of the
 * bridge and for devices that provision directly. Polls take no token: DPS does not count them as operations, and
 * a poll that waited for a token would only make the registration it belongs to miss its Retry-After.
 */
final class Provisioner implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Provisioner.class.getName());
    /** The first DPS back-off ceiling without Retry-After, doubling per failure (full jitter, {@link Backoff}). */
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(16);

    private final DpsClient dps;
    private final IotOptions options;
    private final Scheduler scheduler;
    private final TokenBucket admission;
    private final Backoff backoff;
    private final List<DeviceKeySource> keys;
    /** DPS requests and outcomes, for the operator's counters. */
    private final FleetCounters fleet;
    /**
     * Index of the group key DPS accepted last. During a rotation the primary is refused for every device; starting
     * with the key that worked saves each registration a doomed 401 round trip.
     */
    private volatile int preferredKey;
    /** One {@link HubEndpoint} per hub: a handful in practice (DPS names them), shared by all links. */
    private final ConcurrentHashMap<String, HubEndpoint> hubs = new ConcurrentHashMap<>();

    /** The production provisioner: the settings' group keys, the settings' admission rate, shared randomness. */
    Provisioner(DpsClient dps, IotOptions options, Scheduler scheduler, Ticker ticker, FleetCounters fleet) {
        this(dps, options.secondaryKey().isPresent()
                ? List.of(options.primaryKey(), options.secondaryKey().get())
                : List.of(options.primaryKey()), options, scheduler, ticker, ThreadLocalRandom.current(), fleet);
    }

    /**
     * @param keys   the group keys in the order DPS is to be asked with them: primary, then secondary
     * @param random the back-off's jitter (ThreadLocalRandom's shared instance draws from the calling thread's own)
     */
    Provisioner(DpsClient dps, List<? extends DeviceKeySource> keys, IotOptions options, Scheduler scheduler, Ticker ticker,
                RandomGenerator random, FleetCounters fleet) {
        this.dps = dps;
        this.fleet = fleet;
        this.keys = List.copyOf(keys);
        this.options = options;
        this.scheduler = scheduler;
        this.admission = new TokenBucket(options.registrationsPerMinute(), options.registrationBurst(), ticker);
        this.backoff = new Backoff(FIRST_BACKOFF, MAX_BACKOFF, random);
    }

    /** Where this provisioner counts DPS's work: the device links count the refusals it ends in. */
    FleetCounters fleet() {
        return fleet;
    }

    /**
     * A token for a new provisioning attempt.
     *
     * @return nanoseconds until its turn (0: now); negative when the turn is further than {@code horizon}: then
     *         nothing is reserved, and minus the value is how long until a token would be free
     */
    long admit(Duration horizon) {
        return admission.reserve(horizon.toNanos());
    }

    /**
     * @param lookupAllowed whether a registration status lookup may answer: yes for a device the bridge has no link
     *                      for (cold cache: DPS very likely knows it already), no when re-provisioning after its hub
     *                      failed, because the lookup would return that same stale hub; only a full registration
     *                      makes DPS re-evaluate the assignment. Asked again when the lookup answers: a
     *                      re-provisioner may have joined meanwhile.
     * @return the link, or a future failed with the {@link DpsFailure} that ended the provisioning
     */
    CompletableFuture<DeviceLink> provision(String registrationId, Optional<String> modelId, BooleanSupplier lookupAllowed,
                                            Deadline deadline) {
        return provision(registrationId, modelId, lookupAllowed, deadline, at -> {
        });
    }

    /**
     * @param nextTurn told, before each back-off, when (on the ticker) the next attempt will start, so that callers
     *                 who cannot wait that long are answered at once with a Retry-After from it
     */
    CompletableFuture<DeviceLink> provision(String registrationId, Optional<String> modelId, BooleanSupplier lookupAllowed,
                                            Deadline deadline, LongConsumer nextTurn) {
        return new Attempts(registrationId, modelId, lookupAllowed, deadline, nextTurn).run(1);
    }

    /** Requests on the wire to DPS now: tests move fake time only while DPS is quiet. */
    int dpsRequestsInFlight() {
        return dps.inFlight();
    }

    @Override
    public void close() {
        dps.close();
    }

    /** One provisioning: its attempts, the lookup's answer once given, and the device keys derived once. */
    private final class Attempts {

        private final String registrationId;
        private final Optional<String> modelId;
        private final BooleanSupplier lookupAllowed;
        private final Deadline deadline;
        private final LongConsumer nextTurn;
        private final int first = preferredKey;
        private final DerivedKeys derived;
        /** DPS does not know the device (or will not say): register, and only that, from now on. */
        private volatile boolean lookupAnswered;

        Attempts(String registrationId, Optional<String> modelId, BooleanSupplier lookupAllowed, Deadline deadline,
                 LongConsumer nextTurn) {
            this.registrationId = registrationId;
            this.nextTurn = nextTurn;
            this.modelId = modelId;
            this.lookupAllowed = lookupAllowed;
            this.deadline = deadline;
            this.derived = new DerivedKeys(registrationId);
        }

        CompletableFuture<DeviceLink> run(int attempt) {
            CompletableFuture<DeviceLink> once;
            if (!lookupAnswered && lookupAllowed.getAsBoolean()) {
                once = lookup().thenCompose(known -> {
                    if (known.isPresent()) {
                        return CompletableFuture.completedFuture(known.get());
                    }
                    lookupAnswered = true;
                    return registerWithRotation(0, null);
                });
            } else {
                once = registerWithRotation(0, null);
            }
            return once.exceptionallyCompose(t -> again(Completion.cause(t), attempt));
        }

        /**
         * DPS at-scale guidance: honour retry-after, else exponential back-off with jitter. A throttled or failing
         * lookup waits like a register would: going straight on would double the load on DPS. The next attempt also
         * takes a token: to DPS it is new operations like any other.
         */
        private CompletableFuture<DeviceLink> again(Throwable cause, int attempt) {
            if (!(cause instanceof DpsFailure f) || !f.transientFailure()) {
                return CompletableFuture.failedFuture(cause);
            }
            Duration wait = backoff.delay(attempt, f.usableRetryAfter());
            if (!deadline.allows(wait)) {
                return CompletableFuture.failedFuture(f);
            }
            long turn = admission.reserve(deadline.remainingNanos() - wait.toNanos() - 1);
            if (turn < 0) {
                return CompletableFuture.failedFuture(f); // no token inside the registration's time: remembered as is
            }
            Duration total = wait.plusNanos(turn);
            LOG.fine(() -> "DPS registration of " + registrationId + " gave " + f.detail() + "; retrying in " + total);
            nextTurn.accept(deadline.ticker().read() + total.toNanos());
            return scheduler.after(total).thenCompose(ignored -> run(attempt + 1));
        }

        /**
         * The status lookup: the device's current link if DPS already assigned it, empty when a registration must
         * decide. Fails only for a verdict that ends the provisioning or asks for a retry: a refusal (400209,
         * disabled) or a transient failure (429, 5xx, unreachable).
         */
        private CompletableFuture<Optional<DeviceLink>> lookup() {
            byte[] key = derived.get(first);
            fleet.lookup();
            return dps.lookup(registrationId, key, deadline).handle((known, t) -> {
                countThrottled(t);
                if (t == null) {
                    if (known.isPresent() && lookupAllowed.getAsBoolean()) {
                        LOG.fine(() -> "device " + registrationId + " already assigned to " + known.get().assignedHub());
                        return CompletableFuture.completedFuture(Optional.of(link(known.get(), key, false)));
                    }
                    return CompletableFuture.completedFuture(Optional.<DeviceLink>empty());
                }
                Throwable cause = Completion.cause(t);
                if (cause instanceof DpsFailure e && !e.transientFailure() && e.verdict != Verdict.REFUSED) {
                    // a key DPS refuses, an answer it cannot use: a registration decides, with its own errors (and
                    // the key rotation)
                    LOG.fine(() -> "registration lookup of " + registrationId + " gave " + e.detail() + "; registering");
                    return CompletableFuture.completedFuture(Optional.<DeviceLink>empty());
                }
                return CompletableFuture.<Optional<DeviceLink>>failedFuture(cause);
            }).thenCompose(f -> f);
        }

        /** Registers with the {@code i}-th key after the preferred one; a key DPS rejects moves on to the next. */
        private CompletableFuture<DeviceLink> registerWithRotation(int i, DpsFailure rejected) {
            if (i >= keys.size()) {
                return CompletableFuture.failedFuture(rejected);
            }
            int k = (first + i) % keys.size();
            byte[] key = derived.get(k);
            fleet.registration();
            return dps.register(registrationId, key, modelId, deadline).handle((a, t) -> {
                countThrottled(t);
                if (t == null) {
                    if (k != preferredKey) {
                        preferredKey = k;
                        LOG.warning(() -> "DPS accepted the " + (k == 0 ? "primary" : "secondary") + " group key after refusing the other;"
                                + " using it first from now on (key rotation in progress?)");
                    }
                    LOG.info(() -> "device " + registrationId + " assigned to " + a.assignedHub());
                    return CompletableFuture.completedFuture(link(a, key, true));
                }
                Throwable cause = Completion.cause(t);
                if (cause instanceof DpsFailure e && e.verdict == Verdict.KEY_REJECTED) {
                    LOG.log(Level.WARNING, "DPS refused the {0} group key for device {1} ({2})",
                            new Object[] {k == 0 ? "primary" : "secondary", registrationId, e.detail()});
                    return registerWithRotation(i + 1, e);
                }
                return CompletableFuture.<DeviceLink>failedFuture(cause);
            }).thenCompose(f -> f);
        }

        private void countThrottled(Throwable t) {
            if (t != null && Completion.cause(t) instanceof DpsFailure e && e.verdict == Verdict.THROTTLED) {
                fleet.dpsThrottled();
            }
        }

        private DeviceLink link(DpsClient.Assignment a, byte[] key, boolean registered) {
            try {
                return Provisioner.this.link(registrationId, a, key, registered);
            } catch (DpsFailure f) {
                throw new java.util.concurrent.CompletionException(f);
            }
        }
    }

    private DeviceLink link(String registrationId, DpsClient.Assignment a, byte[] key, boolean registered) throws DpsFailure {
        if (!a.deviceId().equals(registrationId)) {
            if (a.deviceId().equalsIgnoreCase(registrationId)) {
                // DPS ids are case-insensitive, keys are not: DPS answers with the device registered under the other
                // spelling, whose hub only accepts tokens signed with that spelling's key. Sending would fail with 401
                // after a pointless re-provisioning; say what is wrong instead.
                throw new DpsFailure(Verdict.BAD_ID, 0, 0, null, "it is registered as '" + a.deviceId() + "': DPS treats ids "
                        + "that differ only in case as one device while their keys differ, so send one spelling", null);
            }
            // With an enrollment group the hub device is named after the registration id (docs/azure-protocol.md
            // §2.2). Another name would send this device's data as another device, signed with a key derived for
            // this one: an answer the bridge cannot use (a fuzz finding, docs/fuzzing.md). Not quoted: DPS's text.
            throw new DpsFailure(Verdict.BROKEN, 0, 0, null, "DPS assigned a hub device id other than the registration id", null);
        }
        HubEndpoint hub = hubs.get(a.assignedHub());
        if (hub == null) {
            try {
                hub = hubs.computeIfAbsent(a.assignedHub(), name -> new HubEndpoint(name, options.scheme(), options.hubApiVersion()));
            } catch (IllegalArgumentException e) {
                // DPS's answer, not the bridge's fault: a 502 remembered for the failure back-off like any DPS fault
                throw new DpsFailure(Verdict.BROKEN, 0, 0, null, "DPS assigned a hub that is not a host[:port]", null);
            }
        }
        // the hub device id is the registration id (checked above): one String for both
        return new DeviceLink(hub, registrationId, key, registered);
    }

    /**
     * The device's key under each group key, derived when first needed: once per provisioning, however many lookups,
     * registrations and retries it takes.
     */
    private final class DerivedKeys {

        private final String registrationId;
        private final byte[][] byIndex = new byte[keys.size()][];

        DerivedKeys(String registrationId) {
            this.registrationId = registrationId;
        }

        byte[] get(int k) {
            if (byIndex[k] == null) {
                byIndex[k] = keys.get(k).deviceKey(registrationId);
            }
            return byIndex[k];
        }
    }
}
