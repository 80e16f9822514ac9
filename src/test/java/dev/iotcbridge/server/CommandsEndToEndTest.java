package dev.iotcbridge.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.sim.SimClouds;
import dev.iotcbridge.sim.SimCommands;
import dev.iotcbridge.sim.Simulator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
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
 * The quick start's commands, end to end through the local server and the simulator: queue a command as IoT Central
 * does for an offline device, send an uplink whose sender offers a downlink, see the downlink reach the device (in
 * Sigfox's callback answer, at the stand-ins for The Things Stack's push API and ChirpStack's queue API), and the
 * command completed in the simulated hub.
 */
class CommandsEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private static LocalBridge bridge;
    private static Simulator sim;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        // every device is received at its first offered uplink; the interval is covered by the step's own tests
        bridge = LocalBridge.start(Map.of("BRIDGE_PORT", "0", "BRIDGE_DOWNLINK_MIN_INTERVAL_SECONDS", "0"),
                new PrintStream(console, true, StandardCharsets.UTF_8));
        sim = bridge.simulator().orElseThrow();
    }

    @AfterAll
    static void stop() {
        bridge.close();
    }

    private HttpResponse<String> post(String path, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** As the README shows it: POST /sim/devices/{id}/commands/{name}?payload=... on the local server. */
    private JsonNode queue(String device, String name, String payloadJson) throws Exception {
        HttpResponse<String> r = post("/sim/devices/" + device + "/commands/" + name + "?payload="
                + URLEncoder.encode(payloadJson, StandardCharsets.UTF_8), "", Map.of());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private JsonNode commandsOf(String device) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + bridge.port() + "/sim/devices/" + device)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("commands");
    }

    @Test
    void aSigfoxBidirCallbackCarriesTheQueuedCommandInItsAnswer() throws Exception {
        String callback = "{\"device\": \"1A2B3C\", \"time\": 1653666733, \"data\": \"0102\", \"seqNumber\": %d, \"ack\": true}";
        // first uplink: registers the device; nothing is queued, so the answer is Sigfox's usual 204
        assertEquals(204, post("/api/sigfox", callback.formatted(1), Map.of()).statusCode());
        queue("1a2b3c", "setInterval", "{\"payload_hex\": \"0f00000000000001\"}");

        HttpResponse<String> answer = post("/api/sigfox", callback.formatted(2), Map.of());

        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals(JSON.readTree("{\"1A2B3C\": {\"downlinkData\": \"0f00000000000001\"}}"), JSON.readTree(answer.body()));
        assertTrue(answer.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode commands = commandsOf("1a2b3c");
        assertEquals(1, commands.get("delivered").size(), commands.toString());
        assertEquals(0, commands.get("queued").size(), commands.toString());
        assertEquals(2, sim.messagesAcceptedFrom("1a2b3c"), "telemetry first, both uplinks");
        // delivered once: the next BIDIR callback finds nothing
        assertEquals(204, post("/api/sigfox", callback.formatted(3), Map.of()).statusCode());
    }

    @Test
    void aSigfoxCommandOfTheWrongSizeIsRejectedAndTheCallStill204() throws Exception {
        String callback = "{\"device\": \"4D5E6F\", \"time\": 1653666733, \"data\": \"00\", \"seqNumber\": %d, \"ack\": \"true\"}";
        assertEquals(204, post("/api/sigfox", callback.formatted(1), Map.of()).statusCode());
        queue("4d5e6f", "setInterval", "\"0f\"");

        assertEquals(204, post("/api/sigfox", callback.formatted(2), Map.of()).statusCode());

        JsonNode rejected = commandsOf("4d5e6f").get("rejected");
        assertEquals(1, rejected.size(), rejected.toString());
        assertEquals("rejected by the device (dead-lettered)", rejected.get(0).get("why").asText());
    }

    @Test
    void aTheThingsStackWebhookWithADownlinkKeyPushesTheCommand() throws Exception {
        String push = sim.clouds().baseUrl() + "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push";
        Map<String, String> headers = Map.of("X-Downlink-Apikey", "NNSXS.SIMULATED.KEY", "X-Downlink-Push", push);
        String uplink = """
                {"end_device_ids": {"device_id": "dev1", "application_ids": {"application_id": "app1"}, "dev_eui": "70B3D57ED005E3A1"},
                 "uplink_message": {"f_port": 1, "f_cnt": %d, "frm_payload": "AQ==",
                   "settings": {"data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 7}}}}}""";
        assertEquals(200, post("/api/ttn", uplink.formatted(1), headers).statusCode());
        queue("70b3d57ed005e3a1", "setInterval", "{\"payload_hex\": \"0f\", \"port\": 10}");

        HttpResponse<String> r = post("/api/ttn", uplink.formatted(2), headers);

        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, JSON.readTree(r.body()).get("forwarded").asInt(), "the uplink's answer is unchanged");
        List<SimClouds.Downlink> pushed = sim.clouds().downlinksTo("dev1");
        assertEquals(1, pushed.size(), pushed.toString());
        assertEquals(10, pushed.get(0).port());
        assertEquals("0f", pushed.get(0).payloadHex());
        assertEquals(1, commandsOf("70b3d57ed005e3a1").get("delivered").size());
        String said = console.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("downlink to the-things-stack device dev1: port 10 payload 0f"), said);
        assertTrue(!said.contains("NNSXS.SIMULATED.KEY"), "the key is never printed");
    }

    @Test
    void aChirpStackUplinkEnqueuesTheCommandThroughTheRestApi() throws Exception {
        String uplink = """
                {"deduplicationId": "3ac7e3c4-4401-4b8d-9386-a5c902f9202d", "time": "2026-11-27T10:00:00+00:00",
                 "deviceInfo": {"devEui": "0101010101010101"}, "fCnt": %d, "fPort": 1, "data": "qg=="}""";
        assertEquals(200, post("/api/chirpstack?event=up", uplink.formatted(1), Map.of()).statusCode());
        queue("0101010101010101", "valve*open", "{\"payload_base64\": \"AQI=\", \"port\": 3}");

        assertEquals(200, post("/api/chirpstack?event=up", uplink.formatted(2), Map.of()).statusCode());

        List<SimClouds.Downlink> queued = sim.clouds().downlinksTo("0101010101010101");
        assertEquals(1, queued.size(), queued.toString());
        assertEquals("chirpstack", queued.get(0).cloud());
        assertEquals(3, queued.get(0).port());
        assertEquals("0102", queued.get(0).payloadHex());
        assertEquals(1, commandsOf("0101010101010101").get("delivered").size());
    }

    @Test
    void aFailingCloudApiAbandonsTheCommandAndTheNextUplinkDeliversIt() throws Exception {
        String uplink = """
                {"deduplicationId": "6c7c2b3a-0000-4b8d-9386-a5c902f9202d", "time": "2026-11-27T10:00:00+00:00",
                 "deviceInfo": {"devEui": "0202020202020202"}, "fCnt": %d, "fPort": 1, "data": "qg=="}""";
        assertEquals(200, post("/api/chirpstack?event=up", uplink.formatted(1), Map.of()).statusCode());
        queue("0202020202020202", "setInterval", "{\"payload_hex\": \"0a\", \"port\": 2}");
        assertEquals(200, post("/sim/clouds/faults?code=500001&count=1", "", Map.of()).statusCode());

        assertEquals(200, post("/api/chirpstack?event=up", uplink.formatted(2), Map.of()).statusCode(),
                "the cloud's failure never fails the uplink");
        JsonNode afterFailure = commandsOf("0202020202020202");
        assertEquals(1, afterFailure.get("queued").size(), afterFailure.toString());
        assertEquals(1, afterFailure.get("queued").get(0).get("deliveryCount").asInt(), "abandoned, not dropped");

        assertEquals(200, post("/api/chirpstack?event=up", uplink.formatted(3), Map.of()).statusCode());
        assertEquals(1, commandsOf("0202020202020202").get("delivered").size());
        assertEquals(List.of("0a"), sim.clouds().downlinksTo("0202020202020202").stream().map(SimClouds.Downlink::payloadHex).toList());
    }

    @Test
    void aHeliumUplinkPostsTheCommandToItsDownlinkUrl() throws Exception {
        String url = sim.clouds().baseUrl() + "/api/v1/down/897780bc-6980-42c1-a659-30077e8dbcd1/h4IxFDle6biV1ZKmrUJamaXhKjRRF3c-";
        String uplink = """
                {"dev_eui": "0303030303030303", "id": "d2c7b8dc-221a-4ec8-aedd-6c19ae348a33", "fcnt": %d, "port": 1,
                 "payload": "AQ==", "downlink_url": "%s"}""";
        assertEquals(200, post("/api/helium", uplink.formatted(1, url), Map.of()).statusCode());
        queue("0303030303030303", "blink", "\"0102\"");

        assertEquals(200, post("/api/helium", uplink.formatted(2, url), Map.of()).statusCode());

        List<SimClouds.Downlink> sent = sim.clouds().downlinksTo("d2c7b8dc-221a-4ec8-aedd-6c19ae348a33");
        assertEquals(1, sent.size(), "to this device, not to every device of the integration: " + sim.clouds().downlinks());
        assertEquals("0102", sent.get(0).payloadHex());
        assertEquals(1, sent.get(0).port(), "no port named: the default");
        assertTrue(!console.toString(StandardCharsets.UTF_8).contains("h4IxFDle6biV1ZKmrUJamaXhKjRRF3c-"),
                "the downlink key in the URL is never printed");
    }

    @Test
    void theSimulatorShowsCommandsAndRefusesAPayloadThatIsNotJson() throws Exception {
        JsonNode queued = queue("0404040404040404", "reboot", "{}");
        assertEquals("queued", queued.get("state").asText());
        assertEquals("reboot", queued.get("name").asText());
        HttpResponse<String> bad = post("/sim/devices/0404040404040404/commands/reboot?payload=0f01", "", Map.of());
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("must be JSON"), bad.body());
        List<SimCommands.Command> commands = sim.commands("0404040404040404");
        assertEquals(1, commands.size());
        assertEquals(SimCommands.State.QUEUED, commands.get(0).state());
    }
}
