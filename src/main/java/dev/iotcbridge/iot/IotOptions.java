package dev.iotcbridge.iot;

import dev.iotcbridge.config.InvalidSettingException;
import dev.iotcbridge.config.Settings;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What the forwarding core needs from {@link Settings}, plus the few tuning values that are not settings because
 * no operator should need to change them (named defaults below; tests change them through {@link #toBuilder()}).
 *
 * <pre>
 * IotOptions o = IotOptions.from(settings).toBuilder().registrationTimeout(Duration.ofSeconds(15)).build();
 * </pre>
 *
 * @param registrationTimeout   how long one provisioning (lookup, register, polls, DPS retries) may run in the
 *                              background; it may outlive the webhook call that started it and serve its retry
 * @param registrationsPerMinute DPS admission: provisioning attempts started per minute (the token bucket's rate)
 * @param registrationBurst     DPS admission: attempts that may start at once (the bucket's size)
 * @param admissionHorizon      how far ahead a registration may be queued for its token; a device whose turn is
 *                              further away is answered 503 with that turn's Retry-After and not queued
 * @param failureBackoff        how long a registration that failed for a transient reason (DPS 429/5xx/unreachable)
 *                              is remembered when DPS gives no Retry-After
 * @param pendingRetryAfter     Retry-After answered when a registration is still running as the call's budget ends;
 *                              DPS itself asks for 3 s between polls
 * @param pollInterval          wait between DPS operation polls when DPS sends no Retry-After
 * @param maxPolls              most polls of one DPS operation
 * @param connectTimeout        TCP/TLS connect timeout: short, because an unreachable hub means "re-provision"
 * @param readTimeout           socket read/write timeout; each call is also bounded by its remaining budget
 * @param maxIdleConnections    idle connections the shared pool keeps (OkHttp's default of 5 churns at C=128)
 * @param retryBase             ceiling of the first back-off between hub attempts (doubles per failure; the wait is
 *                              drawn between zero and the ceiling, and never shorter than the hub's Retry-After)
 * @param retryCap              largest such ceiling
 * @param reprovisionWindow     how long a device re-registered after a hub failure is not registered again
 *                              ({@link ReprovisionWindow}); the first send that succeeds ends it
 */
public record IotOptions(
        String idScope,
        GroupKey primaryKey,
        Optional<GroupKey> secondaryKey,
        String dpsHost,
        String dpsApiVersion,
        String hubApiVersion,
        boolean allowHttp,
        long deviceCacheSize,
        Duration deviceCacheExpiry,
        int registrationsPerMinute,
        int registrationBurst,
        Duration refusalBackoff,
        Duration tokenTtl,
        Duration registrationTimeout,
        Duration admissionHorizon,
        Duration failureBackoff,
        Duration pendingRetryAfter,
        Duration pollInterval,
        int maxPolls,
        Duration connectTimeout,
        Duration readTimeout,
        int maxIdleConnections,
        Duration retryBase,
        Duration retryCap,
        Duration reprovisionWindow) {

    /** A registration is PUT plus polls ~3 s apart; one that needs more than a minute is not going to finish. */
    public static final Duration REGISTRATION_TIMEOUT = Duration.ofSeconds(60);
    /**
     * A registration queued further ahead than a minute would come after most senders gave up retrying; at the
     * default rate the queue holds the burst plus a minute of registrations.
     */
    public static final Duration ADMISSION_HORIZON = Duration.ofSeconds(60);
    public static final Duration FAILURE_BACKOFF = Duration.ofSeconds(5);
    /** DPS's own usual Retry-After between polls. */
    public static final Duration PENDING_RETRY_AFTER = Duration.ofSeconds(3);
    /** Between polls when DPS gives no Retry-After; {@link DpsClient} also keeps DPS's 5 polls per 10 s per device. */
    public static final Duration POLL_INTERVAL = Duration.ofSeconds(1);
    public static final int MAX_POLLS = 30;
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    public static final int MAX_IDLE_CONNECTIONS = 1_024;
    public static final Duration RETRY_BASE = Duration.ofMillis(100);
    public static final Duration RETRY_CAP = Duration.ofSeconds(1);

    public static IotOptions from(Settings s) {
        String scope = s.idScope().orElseThrow(() -> new InvalidSettingException(
                "IOTC_ID_SCOPE is required to forward telemetry: the ID scope of the IoT Central application "
                        + "(Permissions > Device connection groups)"));
        GroupKey primary = GroupKey.of(s.groupKey().orElseThrow(() -> new InvalidSettingException(
                "IOTC_GROUP_KEY is required when IOTC_ID_SCOPE is set")));
        Builder b = new Builder();
        b.idScope = scope;
        b.primaryKey = primary;
        b.secondaryKey = s.groupKeySecondary().map(GroupKey::of);
        b.dpsHost = s.dpsHost();
        b.dpsApiVersion = s.dpsApiVersion();
        b.hubApiVersion = s.hubApiVersion();
        b.allowHttp = s.allowHttp();
        b.deviceCacheSize = s.deviceCacheSize();
        b.deviceCacheExpiry = s.deviceCacheExpiry();
        b.registrationsPerMinute = s.registrationsPerMinute();
        b.registrationBurst = s.registrationBurst();
        b.refusalBackoff = s.refusalBackoff();
        b.tokenTtl = s.tokenTtl();
        b.reprovisionWindow = s.reprovisionWindow();
        return b.build();
    }

    String scheme() {
        return allowHttp ? "http" : "https";
    }

    /** A builder holding these options, to change a few of them by name. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    public IotOptions withRegistrationTimeout(Duration d) {
        return toBuilder().registrationTimeout(d).build();
    }

    /**
     * Named setters for the tuning values (the settings-derived values come from {@link #from(Settings)}). Starts
     * from given options, or from the named defaults inside {@code from}.
     */
    public static final class Builder {
        private String idScope;
        private GroupKey primaryKey;
        private Optional<GroupKey> secondaryKey = Optional.empty();
        private String dpsHost;
        private String dpsApiVersion;
        private String hubApiVersion;
        private boolean allowHttp;
        private long deviceCacheSize;
        private Duration deviceCacheExpiry;
        private int registrationsPerMinute;
        private int registrationBurst;
        private Duration refusalBackoff;
        private Duration tokenTtl;
        private Duration registrationTimeout = REGISTRATION_TIMEOUT;
        private Duration admissionHorizon = ADMISSION_HORIZON;
        private Duration failureBackoff = FAILURE_BACKOFF;
        private Duration pendingRetryAfter = PENDING_RETRY_AFTER;
        private Duration pollInterval = POLL_INTERVAL;
        private int maxPolls = MAX_POLLS;
        private Duration connectTimeout = CONNECT_TIMEOUT;
        private Duration readTimeout = READ_TIMEOUT;
        private int maxIdleConnections = MAX_IDLE_CONNECTIONS;
        private Duration retryBase = RETRY_BASE;
        private Duration retryCap = RETRY_CAP;
        private Duration reprovisionWindow;

        private Builder() {
        }

        private Builder(IotOptions o) {
            idScope = o.idScope;
            primaryKey = o.primaryKey;
            secondaryKey = o.secondaryKey;
            dpsHost = o.dpsHost;
            dpsApiVersion = o.dpsApiVersion;
            hubApiVersion = o.hubApiVersion;
            allowHttp = o.allowHttp;
            deviceCacheSize = o.deviceCacheSize;
            deviceCacheExpiry = o.deviceCacheExpiry;
            registrationsPerMinute = o.registrationsPerMinute;
            registrationBurst = o.registrationBurst;
            refusalBackoff = o.refusalBackoff;
            tokenTtl = o.tokenTtl;
            registrationTimeout = o.registrationTimeout;
            admissionHorizon = o.admissionHorizon;
            failureBackoff = o.failureBackoff;
            pendingRetryAfter = o.pendingRetryAfter;
            pollInterval = o.pollInterval;
            maxPolls = o.maxPolls;
            connectTimeout = o.connectTimeout;
            readTimeout = o.readTimeout;
            maxIdleConnections = o.maxIdleConnections;
            retryBase = o.retryBase;
            retryCap = o.retryCap;
            reprovisionWindow = o.reprovisionWindow;
        }

        public Builder registrationTimeout(Duration d) {
            registrationTimeout = Objects.requireNonNull(d);
            return this;
        }

        public Builder registrationsPerMinute(int n) {
            registrationsPerMinute = n;
            return this;
        }

        public Builder registrationBurst(int n) {
            registrationBurst = n;
            return this;
        }

        public Builder admissionHorizon(Duration d) {
            admissionHorizon = Objects.requireNonNull(d);
            return this;
        }

        public Builder failureBackoff(Duration d) {
            failureBackoff = Objects.requireNonNull(d);
            return this;
        }

        public Builder pendingRetryAfter(Duration d) {
            pendingRetryAfter = Objects.requireNonNull(d);
            return this;
        }

        public Builder pollInterval(Duration d) {
            pollInterval = Objects.requireNonNull(d);
            return this;
        }

        public Builder maxPolls(int n) {
            maxPolls = n;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            connectTimeout = Objects.requireNonNull(d);
            return this;
        }

        public Builder readTimeout(Duration d) {
            readTimeout = Objects.requireNonNull(d);
            return this;
        }

        public Builder maxIdleConnections(int n) {
            maxIdleConnections = n;
            return this;
        }

        public Builder retryBase(Duration d) {
            retryBase = Objects.requireNonNull(d);
            return this;
        }

        public Builder retryCap(Duration d) {
            retryCap = Objects.requireNonNull(d);
            return this;
        }

        public Builder reprovisionWindow(Duration d) {
            reprovisionWindow = Objects.requireNonNull(d);
            return this;
        }

        public IotOptions build() {
            return new IotOptions(idScope, primaryKey, secondaryKey, dpsHost, dpsApiVersion, hubApiVersion, allowHttp,
                    deviceCacheSize, deviceCacheExpiry, registrationsPerMinute, registrationBurst, refusalBackoff,
                    tokenTtl, registrationTimeout, admissionHorizon, failureBackoff, pendingRetryAfter, pollInterval, maxPolls,
                    connectTimeout, readTimeout, maxIdleConnections, retryBase, retryCap, reprovisionWindow);
        }
    }
}
