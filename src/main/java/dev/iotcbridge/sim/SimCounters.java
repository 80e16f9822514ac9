package dev.iotcbridge.sim;

import java.util.Map;

/**
 * The simulator's counters at one moment, since start or the last {@link Simulator#resetCounters()}.
 *
 * @param registrationsReceived    DPS register calls (PUT) received, whatever their answer
 * @param registrationsInFlight    registrations between their PUT and the answer that tells their outcome
 * @param maxRegistrationsInFlight most registrations in flight at once
 * @param hubRequests              requests each hub received, whatever their answer
 * @param messagesPerHub           messages each hub accepted (204)
 * @param messagesPerDevice        messages accepted per device id
 * @param messagesPerMessageId     messages accepted per {@code iothub-messageid}: a count above 1 is a duplicate
 */
public record SimCounters(long registrationsReceived, int registrationsInFlight, int maxRegistrationsInFlight,
                          Map<HubId, Long> hubRequests, Map<HubId, Long> messagesPerHub,
                          Map<String, Long> messagesPerDevice, Map<String, Integer> messagesPerMessageId) {

    public SimCounters {
        hubRequests = Map.copyOf(hubRequests);
        messagesPerHub = Map.copyOf(messagesPerHub);
        messagesPerDevice = Map.copyOf(messagesPerDevice);
        messagesPerMessageId = Map.copyOf(messagesPerMessageId);
    }

    public long messagesAccepted() {
        return messagesPerHub.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Message ids accepted more than once. */
    public Map<String, Integer> duplicateMessageIds() {
        return Map.copyOf(messagesPerMessageId.entrySet().stream().filter(e -> e.getValue() > 1)
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
    }
}
