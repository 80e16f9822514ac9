package dev.iotcbridge.iot;

import dev.iotcbridge.iot.DpsFailure.Kind;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Provisions one device through DPS: derives its key, finds or makes its assignment, and returns the link the hub
 * client sends with. Runs on a registration thread (see {@link DeviceLinks}), so its waits (DPS's Retry-After
 * between polls, back-off after DPS 429/5xx) never block a webhook beyond the caller's own budget.
 */
final class Provisioner {

    private static final Logger LOG = Logger.getLogger(Provisioner.class.getName());

    private final DpsClient dps;
    private final IotOptions options;
    private final Sleeper sleeper;
    private final List<DeviceKeySource> keys;
    /**
     * Index of the group key DPS accepted last. During a rotation the primary is refused for every device; starting
     * with the key that worked saves each registration a doomed 401 round trip.
     */
    private volatile int preferredKey;
    /** One {@link HubEndpoint} per hub: a handful in practice (DPS names them), shared by all links. */
    private final ConcurrentHashMap<String, HubEndpoint> hubs = new ConcurrentHashMap<>();

    Provisioner(DpsClient dps, IotOptions options, Sleeper sleeper) {
        this(dps, options.secondaryKey().isPresent()
                ? List.of(options.primaryKey(), options.secondaryKey().get())
                : List.of(options.primaryKey()), options, sleeper);
    }

    /** @param keys the group keys in the order DPS is to be asked with them: primary, then secondary */
    Provisioner(DpsClient dps, List<? extends DeviceKeySource> keys, IotOptions options, Sleeper sleeper) {
        this.dps = dps;
        this.keys = List.copyOf(keys);
        this.options = options;
        this.sleeper = sleeper;
    }

    /**
     * @param lookupAllowed whether a registration status lookup may answer: yes for a device the bridge has no link
     *                      for (cold cache: DPS very likely knows it already), no when re-provisioning after its hub
     *                      failed, because the lookup would return that same stale hub; only a full registration
     *                      makes DPS re-evaluate the assignment. Asked again when the lookup answers: a
     *                      re-provisioner may have joined meanwhile.
     */
    DeviceLink provision(String registrationId, Optional<String> modelId, BooleanSupplier lookupAllowed, Deadline deadline)
            throws DpsFailure {
        int first = preferredKey;
        DerivedKeys derived = new DerivedKeys(registrationId);
        boolean lookupAnswered = false;
        DpsFailure last = null;
        for (int attempt = 0; ; attempt++) {
            try {
                if (!lookupAnswered && lookupAllowed.getAsBoolean()) {
                    Optional<DeviceLink> known = lookup(registrationId, derived.get(first), lookupAllowed, deadline);
                    if (known.isPresent()) {
                        return known.get();
                    }
                    lookupAnswered = true; // DPS does not know the device (or will not say): register, and only that
                }
                return registerWithRotation(registrationId, modelId, first, derived, deadline);
            } catch (DpsFailure e) {
                last = e;
                if (!e.transientFailure()) {
                    throw e;
                }
                // DPS at-scale guidance: honour retry-after, else exponential back-off with jitter. A throttled or
                // failing lookup waits like a register would: going straight on would double the load on DPS. A
                // Retry-After of no time (0, a date already past) is no guidance: honoured, it turned a 429 into a loop.
                Duration wait = e.retryAfter != null && !e.retryAfter.isZero() && !e.retryAfter.isNegative() ? e.retryAfter
                        : jittered(Duration.ofSeconds(1L << Math.min(attempt, 4)));
                if (!deadline.allows(wait)) {
                    throw last;
                }
                LOG.fine(() -> "DPS registration of " + registrationId + " gave " + e.detail() + "; retrying in " + wait);
                try {
                    sleeper.sleep(wait);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw last;
                }
            }
        }
    }

    /**
     * The status lookup: the device's current link if DPS already assigned it, empty when a registration must decide.
     *
     * @throws DpsFailure only for a transient failure (429, 5xx, unreachable): the caller backs off before asking again
     */
    private Optional<DeviceLink> lookup(String registrationId, byte[] key, BooleanSupplier lookupAllowed, Deadline deadline)
            throws DpsFailure {
        try {
            Optional<DpsClient.Assignment> known = dps.lookup(registrationId, key, deadline);
            if (known.isPresent() && lookupAllowed.getAsBoolean()) {
                LOG.fine(() -> "device " + registrationId + " already assigned to " + known.get().assignedHub());
                return Optional.of(link(registrationId, known.get(), key, false));
            }
            return Optional.empty();
        } catch (DpsFailure e) {
            if (e.transientFailure()) {
                throw e;
            }
            // 404 for a device DPS never saw, or any other refusal: a registration decides, with its own errors.
            LOG.fine(() -> "registration lookup of " + registrationId + " gave " + e.detail() + "; registering");
            return Optional.empty();
        }
    }

    private DeviceLink registerWithRotation(String registrationId, Optional<String> modelId, int first, DerivedKeys derived,
            Deadline deadline) throws DpsFailure {
        DpsFailure unauthorized = null;
        for (int i = 0; i < keys.size(); i++) {
            int k = (first + i) % keys.size();
            byte[] key = derived.get(k);
            try {
                DpsClient.Assignment a = dps.register(registrationId, key, modelId, deadline);
                if (k != preferredKey) {
                    preferredKey = k;
                    LOG.warning(() -> "DPS accepted the " + (k == 0 ? "primary" : "secondary") + " group key after refusing the other;"
                            + " using it first from now on (key rotation in progress?)");
                }
                LOG.info(() -> "device " + registrationId + " assigned to " + a.assignedHub());
                return link(registrationId, a, key, true);
            } catch (DpsFailure e) {
                if (e.kind != Kind.UNAUTHORIZED) {
                    throw e;
                }
                unauthorized = e;
                LOG.log(Level.WARNING, "DPS refused the {0} group key for device {1} ({2})",
                        new Object[] {k == 0 ? "primary" : "secondary", registrationId, e.detail()});
            }
        }
        throw unauthorized;
    }

    private DeviceLink link(String registrationId, DpsClient.Assignment a, byte[] key, boolean registered) throws DpsFailure {
        if (!a.deviceId().equals(registrationId) && a.deviceId().equalsIgnoreCase(registrationId)) {
            // DPS ids are case-insensitive, keys are not: DPS answers with the device registered under the other
            // spelling, whose hub only accepts tokens signed with that spelling's key. Sending would fail with 401
            // after a pointless re-provisioning; say what is wrong instead.
            throw new DpsFailure(Kind.BAD_ID, 0, 0, null, "it is registered as '" + a.deviceId() + "': DPS treats ids "
                    + "that differ only in case as one device while their keys differ, so send one spelling", null);
        }
        HubEndpoint hub = hubs.get(a.assignedHub());
        if (hub == null) {
            try {
                hub = hubs.computeIfAbsent(a.assignedHub(), name -> new HubEndpoint(name, options.scheme(), options.hubApiVersion()));
            } catch (IllegalArgumentException e) {
                // DPS's answer, not the bridge's fault: a 502 remembered for the failure back-off like any DPS fault
                throw new DpsFailure(Kind.FAILED, 0, 0, null, "DPS assigned a hub that is not a host[:port]", null);
            }
        }
        // With group enrollments the hub device id is the registration id: keep one String for both.
        String deviceId = a.deviceId().equals(registrationId) ? registrationId : a.deviceId();
        return new DeviceLink(hub, deviceId, key, registered);
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

    private static Duration jittered(Duration d) {
        long ms = d.toMillis();
        return Duration.ofMillis(ms / 2 + ThreadLocalRandom.current().nextLong(ms / 2 + 1));
    }
}
