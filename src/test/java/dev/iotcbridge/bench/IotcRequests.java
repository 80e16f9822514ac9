package dev.iotcbridge.bench;

import java.nio.charset.StandardCharsets;

/**
 * Webhooks in the reference IoT Central device bridge's body format, posted to {@code /api/iotc}, cycling through
 * devices {@code {devicePrefix}000000...}; each carries a unique {@code ?messageId=} (mapped by the benchmark's copy of
 * the iotc transform) so that the hub's count per message id proves exactly-once delivery.
 */
final class IotcRequests implements LoadGenerator.Requests {

    static final String MODEL_ID = "dtmi:com:example:Thermostat;1";

    private final String host;
    private final String devicePrefix;
    private final long devices;
    private final long firstDevice;
    private final String messageIdPrefix;

    /**
     * @param devices     request {@code seq} goes to device {@code firstDevice + seq % devices}
     */
    IotcRequests(int port, String devicePrefix, long firstDevice, long devices, String messageIdPrefix) {
        this.host = "127.0.0.1:" + port;
        this.devicePrefix = devicePrefix;
        this.firstDevice = firstDevice;
        this.devices = devices;
        this.messageIdPrefix = messageIdPrefix;
    }

    static String deviceId(String prefix, long n) {
        return prefix + String.format("%06d", n);
    }

    String messageId(long seq) {
        return messageIdPrefix + seq;
    }

    @Override
    public byte[] request(long seq) {
        String device = deviceId(devicePrefix, firstDevice + seq % devices);
        String body = "{\"device\":{\"deviceId\":\"" + device + "\",\"modelId\":\"" + MODEL_ID + "\"},"
                + "\"measurements\":{\"temperature\":" + (20 + seq % 100 / 10.0) + ",\"humidity\":40,\"seq\":" + seq + "},"
                + "\"timestamp\":\"2026-11-27T10:00:00.000Z\"}";
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST /api/iotc?messageId=" + messageId(seq) + " HTTP/1.1\r\nHost: " + host
                + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + b.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(b, 0, all, h.length, b.length);
        return all;
    }
}
