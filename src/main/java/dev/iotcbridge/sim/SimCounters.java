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
 * @param registrationsPerDevice   DPS register calls per registration id (lower-cased), whatever their answer
 */
public record SimCounters(long registrationsReceived, int registrationsInFlight, int maxRegistrationsInFlight,
                          Map<HubId, Long> hubRequests, Map<HubId, Long> messagesPerHub,
                          Map<String, Long> messagesPerDevice, Map<String, Integer> messagesPerMessageId,
                          Map<String, Integer> registrationsPerDevice) {

    public SimCounters {
        hubRequests = Map.copyOf(hubRequests);
        messagesPerHub = Map.copyOf(messagesPerHub);
        messagesPerDevice = Map.copyOf(messagesPerDevice);
        messagesPerMessageId = Map.copyOf(messagesPerMessageId);
        registrationsPerDevice = Map.copyOf(registrationsPerDevice);
    }

    /** The most register calls any one device made (0 when none did). */
    public int maxRegistrationsPerDevice() {
        return registrationsPerDevice.values().stream().mapToInt(Integer::intValue).max().orElse(0);
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
