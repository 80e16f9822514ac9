package dev.iotcbridge.sim;

/**
 * How a simulated hub is down for every device while DPS goes on assigning it (docs/azure-protocol.md §3.7): the
 * situation in which re-provisioning cannot help and a fleet that retries without back-off multiplies the load.
 */
public enum HubOutage {
    /** The hub's endpoint is gone: connects are refused and open connections dropped. */
    REFUSE_CONNECTIONS,
    /** The hub answers every device request {@code 503} (503001 ServiceUnavailable); nothing takes effect. */
    SERVICE_UNAVAILABLE
}
