package dev.iotcbridge.iot;

import dev.iotcbridge.config.InvalidSettingException;
import dev.iotcbridge.config.Settings;
import java.time.Duration;
import java.util.Optional;

/**
 * What the forwarding core needs from {@link Settings}, plus the few tuning values that are not settings because
 * no operator should need to change them (they are here, named, so that tests can).
 *
 * @param registrationTimeout   how long one provisioning (lookup, register, polls, DPS retries) may run in the
 *                              background; it may outlive the webhook call that started it and serve its retry
 * @param registrationQueue     most registrations that may wait for one of the {@code maxRegistrations} slots
 * @param failureBackoff        how long a registration that failed for a transient reason (DPS 429/5xx/unreachable)
 *                              is remembered when DPS gives no Retry-After
 * @param pendingRetryAfter     Retry-After answered when a registration is still running as the call's budget ends;
 *                              DPS itself asks for 3 s between polls
 * @param pollInterval          wait between DPS operation polls when DPS sends no Retry-After
 * @param maxPolls              most polls of one DPS operation
 * @param connectTimeout        TCP/TLS connect timeout: short, because an unreachable hub means "re-provision"
 * @param readTimeout           socket read/write timeout; each call is also bounded by its remaining budget
 * @param maxIdleConnections    idle connections the shared pool keeps (OkHttp's default of 5 churns at C=128)
 * @param retryBase             first back-off for transient hub errors without Retry-After (doubles, with jitter)
 * @param retryCap              largest such back-off
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
        int maxRegistrations,
        Duration refusalBackoff,
        Duration tokenTtl,
        Duration registrationTimeout,
        int registrationQueue,
        Duration failureBackoff,
        Duration pendingRetryAfter,
        Duration pollInterval,
        int maxPolls,
        Duration connectTimeout,
        Duration readTimeout,
        int maxIdleConnections,
        Duration retryBase,
        Duration retryCap) {

    public static IotOptions from(Settings s) {
        String scope = s.idScope().orElseThrow(() -> new InvalidSettingException(
                "IOTC_ID_SCOPE is required to forward telemetry: the ID scope of the IoT Central application "
                        + "(Permissions > Device connection groups)"));
        GroupKey primary = GroupKey.of(s.groupKey().orElseThrow(() -> new InvalidSettingException(
                "IOTC_GROUP_KEY is required when IOTC_ID_SCOPE is set")));
        return new IotOptions(scope, primary, s.groupKeySecondary().map(GroupKey::of),
                s.dpsHost(), s.dpsApiVersion(), s.hubApiVersion(), s.allowHttp(),
                s.deviceCacheSize(), s.deviceCacheExpiry(), s.maxRegistrations(), s.refusalBackoff(), s.tokenTtl(),
                Duration.ofSeconds(60), 1_000, Duration.ofSeconds(5), Duration.ofSeconds(3),
                Duration.ofSeconds(1), 30, Duration.ofSeconds(3), Duration.ofSeconds(10), 1_024,
                Duration.ofMillis(100), Duration.ofSeconds(1));
    }

    String scheme() {
        return allowHttp ? "http" : "https";
    }

    public IotOptions withRegistrationTimeout(Duration d) {
        return new IotOptions(idScope, primaryKey, secondaryKey, dpsHost, dpsApiVersion, hubApiVersion, allowHttp,
                deviceCacheSize, deviceCacheExpiry, maxRegistrations, refusalBackoff, tokenTtl, d, registrationQueue,
                failureBackoff, pendingRetryAfter, pollInterval, maxPolls, connectTimeout, readTimeout,
                maxIdleConnections, retryBase, retryCap);
    }

    public IotOptions withRegistrationQueue(int n) {
        return new IotOptions(idScope, primaryKey, secondaryKey, dpsHost, dpsApiVersion, hubApiVersion, allowHttp,
                deviceCacheSize, deviceCacheExpiry, maxRegistrations, refusalBackoff, tokenTtl, registrationTimeout, n,
                failureBackoff, pendingRetryAfter, pollInterval, maxPolls, connectTimeout, readTimeout,
                maxIdleConnections, retryBase, retryCap);
    }
}
