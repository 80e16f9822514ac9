package dev.iotcbridge.sim;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * One device as IoT Central knows it: its registration, the hub it lives in (with a pending fail-back after a
 * manual failover), its model id, the operator's block/disable switches, and whether the hubs have forgotten it.
 * Guarded by its own monitor.
 */
final class SimDevice {

    /** The outcome of one registration, frozen for the operation that reports it. */
    record Registration(String status, HubId hub, String substatus, Instant created, Instant updated, String etag,
                        JsonNode payload) {
    }

    private final String registrationId;
    private boolean registered;
    private HubId home;          // the hub the device returns to when a failover's time runs out
    private HubId current;
    private Instant failbackAt;  // null: no pending fail-back
    private HubId lastAnswered;  // the hub DPS last told the device about
    private JsonNode payload;
    private String modelId;
    private Instant created;
    private Registration last;
    private boolean blocked;
    private boolean disabled;
    private boolean forgotten;
    private boolean awaitingApproval;
    private HubId leftDisabled;  // the hub it left that answers DEVICE_DISABLED for it; null: the hub it left says 404

    SimDevice(String registrationId) {
        this.registrationId = registrationId;
    }

    String id() {
        return registrationId;
    }

    /**
     * Registers the device: a new device goes to {@code allocated}, a known one keeps its hub unless DPS is told to
     * assign {@code forced}; a blocked device fails, a disabled one is reported disabled.
     */
    synchronized Registration register(JsonNode newPayload, HubId allocated, HubId forced, Instant now) {
        String etag = "\"" + UUID.randomUUID() + "\"";
        if (blocked || awaitingApproval) {
            return new Registration("failed", null, null, created, now, etag, null);
        }
        if (disabled) {
            return new Registration("disabled", null, null, created, now, etag, null);
        }
        if (!registered) {
            registered = true;
            created = now;
            home = current = forced != null ? forced : allocated;
        } else if (forced != null && hubAt(now) != forced) {
            leftDisabled = null;
            home = current = forced;
            failbackAt = null;
        }
        HubId hub = hubAt(now);
        String substatus = lastAnswered == null || lastAnswered == hub ? "initialAssignment" : "deviceDataMigrated";
        lastAnswered = hub;
        if (newPayload != null) {
            payload = newPayload;
            modelId = modelIdOf(newPayload);
        }
        last = new Registration("assigned", hub, substatus, created, now, etag, newPayload);
        return last;
    }

    /** The hub the device lives in now, or empty when it never registered. Applies a due fail-back. */
    synchronized Optional<HubId> hub(Instant now) {
        return registered ? Optional.of(hubAt(now)) : Optional.empty();
    }

    /**
     * Moves the device to the other hub; with a time to live it fails back after it, like
     * {@code az iot central device manual-failover --ttl-minutes}. Empty when the device never registered.
     */
    synchronized Optional<HubId> failover(Instant now, Duration ttl) {
        return failover(now, ttl, false);
    }

    /** @param leftSaysDisabled the hub it leaves answers 401 DEVICE_DISABLED for it from now on, instead of 404 */
    synchronized Optional<HubId> failover(Instant now, Duration ttl, boolean leftSaysDisabled) {
        if (!registered) {
            return Optional.empty();
        }
        HubId before = hubAt(now);
        leftDisabled = leftSaysDisabled ? before : null;
        current = before.other();
        if (ttl != null) {
            home = before;
            failbackAt = now.plus(ttl);
        } else {
            home = current;
            failbackAt = null;
        }
        return Optional.of(current);
    }

    /** The hub that answers 401 IotHubUnauthorized DEVICE_DISABLED for the device: the one it was moved away from. */
    synchronized Optional<HubId> disabledIn(Instant now) {
        HubId hub = hubAt(now);
        return leftDisabled == null || leftDisabled == hub ? Optional.empty() : Optional.of(leftDisabled);
    }

    synchronized Optional<Instant> failbackAt(Instant now) {
        hubAt(now);
        return Optional.ofNullable(failbackAt);
    }

    synchronized Optional<Registration> lastRegistration() {
        return Optional.ofNullable(last);
    }

    synchronized boolean registered() {
        return registered;
    }

    synchronized Optional<String> modelId() {
        return Optional.ofNullable(modelId);
    }

    synchronized Optional<JsonNode> payload() {
        return Optional.ofNullable(payload);
    }

    synchronized boolean blocked() {
        return blocked;
    }

    synchronized void blocked(boolean value) {
        blocked = value;
    }

    synchronized boolean disabled() {
        return disabled;
    }

    synchronized void disabled(boolean value) {
        disabled = value;
    }

    /** Waits for an operator's approval (IoT Central's auto-approve off): DPS refuses it, its hub is not affected. */
    synchronized boolean awaitingApproval() {
        return awaitingApproval;
    }

    synchronized void awaitingApproval(boolean value) {
        awaitingApproval = value;
    }

    /** The hubs answer 404 DeviceNotFound for it, whatever DPS assigns (the device was deleted behind DPS's back). */
    synchronized boolean forgotten() {
        return forgotten;
    }

    synchronized void forgotten(boolean value) {
        forgotten = value;
    }

    private HubId hubAt(Instant now) {
        if (failbackAt != null && !now.isBefore(failbackAt)) {
            current = home;
            failbackAt = null;
        }
        return current;
    }

    private static String modelIdOf(JsonNode payload) {
        for (String field : new String[] {"modelId", "iotcModelId"}) {
            JsonNode value = payload.get(field);
            if (value != null && value.isTextual()) {
                return value.asText();
            }
        }
        return null;
    }
}
