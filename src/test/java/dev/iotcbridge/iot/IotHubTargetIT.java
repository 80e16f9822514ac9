package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.config.Secret;
import dev.iotcbridge.sim.DeviceView;
import dev.iotcbridge.sim.SimMessage;
import dev.iotcbridge.sim.Simulator;
import dev.iotcbridge.sim.SimulatorOptions;
import dev.iotcbridge.testing.PackagedBridge;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IoT Hub + DPS as the target (docs/iot-hub.md): the packaged bridge against a simulator configured as a plain DPS
 * linked to hubs named like any IoT hub ({@code contoso-hub-1.azure-devices.net}, not IoT Central's
 * {@code iotc-<guid>} hubs), with an ID scope and an enrollment-group key of its own. The hub names resolve to
 * loopback in the bridge's JVM only, through a hosts file ({@code -Djdk.net.hosts.file}), so the bridge connects to
 * them by name exactly as it would on Azure. Nothing in the bridge changes between the two targets but its settings.
 */
class IotHubTargetIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HUB_1 = "contoso-hub-1.azure-devices.net";
    private static final String HUB_2 = "contoso-hub-2.azure-devices.net";

    @TempDir
    Path dir;

    private static Secret newGroupKey() {
        byte[] key = new byte[64]; // DPS generates 64-byte symmetric keys, as IoT Central does
        new SecureRandom().nextBytes(key);
        return Secret.of(Base64.getEncoder().encodeToString(key));
    }

    private static Simulator plainDpsAndHub() throws Exception {
        return Simulator.start(SimulatorOptions.builder()
                .idScope("0ne00A1B2C3")
                .groupKey(newGroupKey())
                .hubNames(HUB_1, HUB_2)
                .retryAfterSeconds(0)
                .build());
    }

    private PackagedBridge bridgeFor(Simulator sim, String name) throws Exception {
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, "127.0.0.1 localhost " + HUB_1 + " " + HUB_2 + "\n");
        // the shipped transforms, plus one that takes a canonical message as it is (every field, the component too)
        Path transforms = Files.createDirectories(dir.resolve("transforms-" + name));
        try (var shipped = Files.list(Path.of("transforms"))) {
            for (Path t : (Iterable<Path>) shipped::iterator) {
                Files.copy(t, transforms.resolve(t.getFileName()));
            }
        }
        Files.writeString(transforms.resolve("canonical.jq"), ".\n");
        return PackagedBridge.start(List.of("-Djdk.net.hosts.file=" + hosts), Map.of(
                "BRIDGE_TRANSFORMS_DIR", transforms.toString(),
                "IOTC_ID_SCOPE", sim.idScope(),
                "IOTC_GROUP_KEY", sim.groupKey().reveal(),
                "IOTC_DPS_HOST", sim.dpsHost(),
                "BRIDGE_ALLOW_HTTP", "true"), dir.resolve(name + ".log"));
    }

    @Test
    void iotCentralsConventionsLandInAPlainHubAsTheSameBytes() throws Exception {
        try (Simulator sim = plainDpsAndHub(); PackagedBridge bridge = bridgeFor(sim, "hub")) {
            bridge.awaitListening(Duration.ofSeconds(60));

            HttpResponse<String> r = bridge.post("/api/canonical", """
                    {"deviceId": "pump-7", "modelId": "dtmi:com:contoso:Pump;2", "component": "motor",
                     "telemetry": {"rpm": 1450, "location": {"lat": 47.64, "lon": -122.13, "alt": 12}},
                     "timestamp": "2026-11-27T10:00:00.123+01:00", "messageId": "pump-7-1"}""");

            assertEquals(200, r.statusCode(), r.body() + "\n" + bridge.log());
            JsonNode result = JSON.readTree(r.body());
            assertEquals(1, result.get("forwarded").asInt());
            DeviceView device = sim.device("pump-7").orElseThrow();
            assertEquals("dtmi:com:contoso:Pump;2", device.modelId().orElseThrow(),
                    "the model id travels in the DPS registration payload, whatever the DPS");
            assertTrue(device.hubHost().orElseThrow().startsWith("contoso-hub-"), device.toString());
            SimMessage m = sim.messages().stream().filter(x -> x.messageId().equals(java.util.Optional.of("pump-7-1")))
                    .findFirst().orElseThrow(() -> new AssertionError("not at the hub\n" + bridge.log()));
            assertTrue(m.hubHost().startsWith("contoso-hub-"), m.hubHost());
            assertEquals(java.util.Optional.of("motor"), m.component(), "dt-subject, the Plug and Play component header");
            assertEquals(java.util.Optional.of("2026-11-27T09:00:00.123Z"), m.creationTimeUtc(),
                    "application property iothub-creation-time-utc, in UTC");
            JsonNode body = JSON.readTree(m.body());
            assertEquals(47.64, body.at("/location/lat").asDouble(), "a geopoint is plain JSON telemetry");
            assertEquals(1450, body.get("rpm").asInt());
        }
    }

    @Test
    void pointingTheBridgeAtANewDpsReprovisionsEachDeviceOnItsNextMessage() throws Exception {
        try (Simulator central = Simulator.start(); Simulator hub = plainDpsAndHub()) {
            try (PackagedBridge before = bridgeFor(central, "before")) {
                before.awaitListening(Duration.ofSeconds(60));
                assertEquals(200, before.post("/api/iotc", message("meter-1", "before-1")).statusCode(), before.log());
            }
            assertEquals(1, central.messagesAcceptedWithId("before-1"));

            // the migration: the same app, its settings now naming the new DPS's scope and enrollment-group key
            try (PackagedBridge after = bridgeFor(hub, "after")) {
                after.awaitListening(Duration.ofSeconds(60));
                HttpResponse<String> first = after.post("/api/iotc", message("meter-1", "after-1"));
                HttpResponse<String> second = after.post("/api/iotc", message("meter-1", "after-2"));

                assertEquals(200, first.statusCode(), first.body() + "\n" + after.log());
                assertEquals(200, second.statusCode(), second.body());
            }
            assertEquals(1, hub.messagesAcceptedWithId("after-1"));
            assertEquals(1, hub.messagesAcceptedWithId("after-2"));
            assertEquals(0, central.messagesAcceptedWithId("after-1"), "nothing goes to the old application any more");
            assertEquals(1, hub.counters().registrationsReceived(),
                    "one DPS registration for the device's first message after the switch; none afterwards");
        }
    }

    private static String message(String device, String id) {
        return "{\"device\": {\"deviceId\": \"" + device + "\"}, \"measurements\": {\"kwh\": 3.5}, \"messageId\": \"" + id + "\"}";
    }
}
