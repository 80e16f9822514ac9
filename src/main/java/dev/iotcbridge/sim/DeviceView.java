package dev.iotcbridge.sim;

import java.time.Instant;
import java.util.Optional;

/**
 * What the simulator knows of one device, at one moment.
 *
 * @param hub           the hub it lives in; empty when it never registered (e.g. blocked before its first call)
 * @param failbackAt    when a manual failover's time runs out and the device returns to its former hub
 * @param awaitingApproval DPS refuses it until an operator approves it
 * @param forgotten     the hubs answer 404 DeviceNotFound for it even after a re-registration
 * @param lastTelemetry body of the last message accepted from it
 */
public record DeviceView(String deviceId, Optional<HubId> hub, Optional<String> hubHost, Optional<String> modelId,
                         boolean blocked, boolean disabled, boolean awaitingApproval, boolean forgotten, Optional<Instant> failbackAt, long messageCount,
                         Optional<String> lastTelemetry, Optional<Instant> lastTelemetryTime) {
}
