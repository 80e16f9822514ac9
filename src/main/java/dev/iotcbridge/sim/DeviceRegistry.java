package dev.iotcbridge.sim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The simulated IoT Central's devices, by registration id (case-insensitive, as DPS treats it). */
final class DeviceRegistry {

    private final Map<String, SimDevice> devices = new ConcurrentHashMap<>();

    /** The device, created on first sight with the spelling it was first seen with. */
    SimDevice getOrCreate(String registrationId) {
        return devices.computeIfAbsent(key(registrationId), k -> new SimDevice(registrationId));
    }

    Optional<SimDevice> find(String registrationId) {
        return Optional.ofNullable(devices.get(key(registrationId)));
    }

    /** A hub's device ids are case-sensitive: only the spelling the device registered with matches. */
    Optional<SimDevice> findExact(String deviceId) {
        return find(deviceId).filter(d -> d.id().equals(deviceId));
    }

    List<SimDevice> all() {
        List<SimDevice> list = new ArrayList<>(devices.values());
        list.sort(Comparator.comparing(SimDevice::id));
        return list;
    }

    /** Deterministic first allocation: the same id lands on the same hub in every run. */
    static HubId allocate(String registrationId) {
        return (key(registrationId).hashCode() & 1) == 0 ? HubId.A : HubId.B;
    }

    private static String key(String registrationId) {
        return registrationId.toLowerCase(Locale.ROOT);
    }
}
