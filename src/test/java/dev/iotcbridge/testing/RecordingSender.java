package dev.iotcbridge.testing;

import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.iot.TelemetrySender;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A hub stand-in: records what it accepts and fails the devices it is told to fail. */
public final class RecordingSender implements TelemetrySender {

    public final List<DeviceMessage> delivered = new CopyOnWriteArrayList<>();
    private final Map<String, BridgeException> failures = new ConcurrentHashMap<>();

    public RecordingSender failing(String deviceId, BridgeException failure) {
        failures.put(deviceId, failure);
        return this;
    }

    @Override
    public void send(DeviceMessage message, Duration budget) {
        BridgeException failure = failures.get(message.deviceId());
        if (failure != null) {
            throw failure;
        }
        delivered.add(message);
    }
}
