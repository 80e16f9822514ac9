package dev.iotcbridge.iot;

import dev.iotcbridge.config.Settings;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Measures the heap that cached device links cost: fills the sender's real device-link cache (Caffeine, with the
 * production settings: size bound, expire-after-access) with N links as DPS provisioning makes them (shared hub,
 * 16-hex-digit LoRaWAN-style id, derived key, minted hub token) and reports the retained heap per device after GC.
 *
 * <pre>
 * mvn -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -Xmx1g -cp target/test-classes:target/classes:$(cat target/cp.txt) dev.iotcbridge.iot.DeviceLinkHeapMeasure [devices]
 * </pre>
 */
public final class DeviceLinkHeapMeasure {

    public static void main(String[] args) throws Exception {
        int devices = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        Map<String, String> env = new HashMap<>();
        env.put("IOTC_ID_SCOPE", "0ne00000001");
        env.put("IOTC_GROUP_KEY", SasTokenTest.GROUP_KEY);
        env.put("BRIDGE_DEVICE_CACHE_SIZE", Integer.toString(Math.max(devices, 100_000)));
        IotOptions options = IotOptions.from(Settings.from(env));
        try (IotHubSender sender = IotHubSender.builder(options).build()) {
            HubEndpoint hub = new HubEndpoint("iotc-2f1c9d4e-5b6a-4c1f-9e0d-123456789abc.azure-devices.net",
                    options.scheme(), options.hubApiVersion());
            long now = Instant.now().getEpochSecond();
            long before = usedAfterGc();
            for (int i = 0; i < devices; i++) {
                String id = String.format("a84041%010x", i);
                DeviceLink link = new DeviceLink(hub, id, options.primaryKey().deviceKey(id));
                link.authorization(now, options.tokenTtl().toSeconds());
                sender.links().put(id, link);
            }
            long after = usedAfterGc();
            long cached = sender.cachedDevices();
            System.out.printf("devices cached: %d%n", cached);
            System.out.printf("heap retained: %,d bytes, %.0f bytes per device%n", after - before, (after - before) / (double) cached);
            // keep the cache reachable until after the measurement
            if (sender.links().cached(String.format("a84041%010x", 0)) == null) {
                System.out.println("(first device was evicted)");
            }
        }
    }

    private static long usedAfterGc() throws InterruptedException {
        var memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
