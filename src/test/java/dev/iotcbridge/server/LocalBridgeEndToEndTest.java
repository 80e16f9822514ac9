package dev.iotcbridge.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.sim.DeviceView;
import dev.iotcbridge.sim.HubId;
import dev.iotcbridge.sim.SimMessage;
import dev.iotcbridge.sim.Simulator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a user of the README's quick start sees: the local server with the shipped transforms, forwarding
 * into the embedded simulator, which checks every SAS token and header the way IoT Central's services do.
 */
class LocalBridgeEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private static LocalBridge bridge;
    private static Simulator sim;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        bridge = LocalBridge.start(Map.of("BRIDGE_PORT", "0"), new PrintStream(console, true, StandardCharsets.UTF_8));
        sim = bridge.simulator().orElseThrow();
    }

    @AfterAll
    static void stop() {
        bridge.close();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.port() + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void saysItRunsAgainstTheSimulator() {
        String said = console.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("No IOTC_ID_SCOPE set: forwarding to the embedded IoT Central simulator"), said);
        assertTrue(said.contains("routes: chirpstack, helium, iotc"), said);
        assertTrue(said.contains("The simulated DPS asks registrations to wait Retry-After 1 s; real DPS asks 3 s"),
                "the quick start says its DPS is quicker than the real one: " + said);
    }

    @Test
    void aReferenceBridgeBodyReachesTheSimulatedHub() throws Exception {
        HttpResponse<String> r = post("/api/iotc", """
                {"device": {"deviceId": "quickstart-1", "modelId": "dtmi:com:example:Thermostat;1"},
                 "measurements": {"temperature": 21.5, "humidity": 40},
                 "timestamp": "2026-11-27T10:00:00.123456Z"}""");

        assertEquals(200, r.statusCode(), r.body());
        JsonNode answer = JSON.readTree(r.body());
        assertEquals(1, answer.get("forwarded").asInt());
        SimMessage received = sim.messages().stream().filter(m -> m.deviceId().equals("quickstart-1")).findFirst().orElseThrow();
        assertEquals(JSON.readTree("{\"temperature\": 21.5, \"humidity\": 40}"), JSON.readTree(received.body()));
        assertEquals("2026-11-27T10:00:00.123Z", received.creationTimeUtc().orElseThrow());
        assertEquals("application/json", received.contentType().orElseThrow());
        assertEquals("utf-8", received.contentEncoding().orElseThrow());
        assertEquals("dtmi:com:example:Thermostat;1", sim.device("quickstart-1").orElseThrow().modelId().orElseThrow(),
                "the model id was announced at registration");
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("quickstart-1"), "the simulator prints what arrives");

        HttpResponse<String> devices = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + bridge.port() + "/sim/devices")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, devices.statusCode());
        assertTrue(devices.body().contains("quickstart-1"), devices.body());
    }

    @Test
    void theFailoverDrillMovesTheDeviceAndNothingIsLost() throws Exception {
        String body = "{\"device\": {\"deviceId\": \"drill-1\"}, \"measurements\": {\"n\": %d}}";
        assertEquals(200, post("/api/iotc", body.formatted(1)).statusCode());
        HubId before = sim.device("drill-1").flatMap(DeviceView::hub).orElseThrow();

        HttpResponse<String> failover = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + bridge.port() + "/sim/devices/drill-1/failover?minutes=5"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, failover.statusCode(), failover.body());

        HttpResponse<String> after = post("/api/iotc", body.formatted(2));
        assertEquals(200, after.statusCode(), after.body());
        HubId now = sim.device("drill-1").flatMap(DeviceView::hub).orElseThrow();
        assertNotEquals(before, now);
        List<SimMessage> received = sim.messages().stream().filter(m -> m.deviceId().equals("drill-1")).toList();
        assertEquals(List.of(before, now), received.stream().map(SimMessage::hub).toList(),
                "message 1 in the old hub, message 2 once in the new one");
        assertEquals(200, post("/api/iotc", body.formatted(3)).statusCode());
        assertEquals(3, sim.messages().stream().filter(m -> m.deviceId().equals("drill-1")).count());
    }

    @Test
    void badInputIsAClear4xx() throws Exception {
        HttpResponse<String> unknown = post("/api/nosuchcloud", "{}");
        assertEquals(404, unknown.statusCode());
        assertTrue(unknown.body().contains("the routes are: chirpstack"), unknown.body());

        HttpResponse<String> placeholder = post("/api/iotc", "{\"device\": {\"deviceId\": \"<your device ID>\"}, \"measurements\": {}}");
        assertEquals(400, placeholder.statusCode());
        assertTrue(placeholder.body().contains("is not a valid device id"), placeholder.body());
    }
}
