package dev.iotcbridge.downlink;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.extension.Parameters;
import com.github.tomakehurst.wiremock.extension.ServeEventListener;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.iotcbridge.bridge.BridgeRuntime;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.bridge.WebhookResponse;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.sim.SimCommands;
import dev.iotcbridge.sim.Simulator;
import dev.iotcbridge.sim.SimulatorOptions;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each cloud's downlink request exactly as its vendor documents it (WireMock stands for the cloud), made by the
 * shipped transforms for a command queued in the simulator, and what becomes of the command when the cloud fails:
 * 5xx and timeouts abandon it (it comes with the next uplink), 4xx rejects it, a lost lock is logged, a host not
 * allowed is refused before anything is received or sent, and no key reaches a log.
 */
class DownlinkGoldenTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TTS_KEY = "NNSXS.VEEBURF3KR77ZR4KXCVHGQ5TAT6FX2MHDBIUHY7Y.ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRST";
    private static final String CHIRPSTACK_KEY = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.chirpstack-api-token";
    private static final String LORIOT_KEY = "vnoWYgAAAA1ldTEubG9yaW90LmlvbG9yaW90";
    private static final String TTS_PUSH = "/api/v3/as/applications/app1/webhooks/wh1/devices/dev1/down/push";

    private final MovableClock simClock = new MovableClock();
    /** Runs on each cloud request before it is answered: the drill for a lock that runs out while the cloud works. */
    private final AtomicReference<Runnable> duringCloudRequest = new AtomicReference<>(() -> { });
    private WireMockServer cloud;
    private Simulator sim;
    private BridgeRuntime runtime;
    private final List<String> logs = new ArrayList<>();
    private final Handler logHandler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (logs) {
                logs.add(r.getLevel() + " " + (r.getMessage() == null ? "" : r.getMessage())
                        + (r.getThrown() == null ? "" : " " + r.getThrown()));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private static final Logger BRIDGE = Logger.getLogger("dev.iotcbridge");
    /** Sees every log record of the JVM and every answer below; knows the clouds' keys. */
    private static final dev.iotcbridge.faults.SecretWitness WITNESS = dev.iotcbridge.faults.SecretWitness.shared();

    @org.junit.jupiter.api.BeforeAll
    static void knowTheKeys() {
        WITNESS.secret("The Things Stack downlink API key", TTS_KEY);
        WITNESS.secret("ChirpStack API token", CHIRPSTACK_KEY);
        WITNESS.secret("LORIOT application token", LORIOT_KEY);
        WITNESS.secret("Helium downlink key (in the URL)", "h4IxFDle6biV1ZKmrUJamaXhKjRRF3c-");
    }

    @org.junit.jupiter.api.AfterAll
    static void noKeyLeaked() {
        assertEquals(List.of(), WITNESS.leaks(), "a secret reached a log line or an answer");
    }

    @BeforeEach
    void start() throws Exception {
        cloud = new WireMockServer(options().dynamicPort().extensions(new ServeEventListener() {
            @Override
            public void beforeResponseSent(ServeEvent serveEvent, Parameters parameters) {
                duringCloudRequest.get().run();
            }

            @Override
            public String getName() {
                return "during-cloud-request";
            }
        }));
        cloud.start();
        sim = Simulator.start(SimulatorOptions.builder().clock(simClock).retryAfterSeconds(1).build()); // downlinks, not DPS pacing
        BRIDGE.setLevel(Level.ALL);
        BRIDGE.addHandler(logHandler);
    }

    @AfterEach
    void stop() {
        BRIDGE.removeHandler(logHandler);
        if (runtime != null) {
            runtime.close();
        }
        sim.close();
        cloud.stop();
        synchronized (logs) {
            for (String line : logs) {
                for (String key : List.of(TTS_KEY, CHIRPSTACK_KEY, LORIOT_KEY, "h4IxFDle6biV1ZKmrUJamaXhKjRRF3c-")) {
                    assertFalse(line.contains(key), "a key reached a log line: " + line);
                }
            }
        }
    }

    private void bridge(Map<String, String> extra) {
        Map<String, String> values = new HashMap<>();
        values.put("IOTC_ID_SCOPE", sim.idScope());
        values.put("IOTC_GROUP_KEY", sim.groupKey().reveal());
        values.put("IOTC_DPS_HOST", sim.dpsHost());
        values.put("BRIDGE_ALLOW_HTTP", "true");
        values.put("BRIDGE_DOWNLINK_MIN_INTERVAL_SECONDS", "0");
        values.put("BRIDGE_ROUTE_TTN_DOWNLINK_HOSTS", "127.0.0.1");
        values.put("BRIDGE_ROUTE_HELIUM_DOWNLINK_HOSTS", "127.0.0.1");
        values.put("BRIDGE_ROUTE_CHIRPSTACK_API_URL", cloudUrl(""));
        values.put("BRIDGE_ROUTE_CHIRPSTACK_API_KEY", CHIRPSTACK_KEY);
        values.put("BRIDGE_ROUTE_LORIOT_API_URL", cloudUrl("/1/rest"));
        values.put("BRIDGE_ROUTE_LORIOT_API_KEY", LORIOT_KEY);
        values.put("BRIDGE_ROUTE_LORIOT_APP_ID", "BE7A0000");
        values.putAll(extra);
        runtime = BridgeRuntime.start(Settings.from(values), false);
    }

    private String cloudUrl(String path) {
        return "http://127.0.0.1:" + cloud.port() + path;
    }

    private WebhookResponse call(String route, String query, Map<String, String> headers, String body) {
        Map<String, String> h = new HashMap<>(headers);
        h.put("content-type", "application/json");
        Map<String, String> q = new HashMap<>();
        if (!query.isEmpty()) {
            for (String pair : query.split("&")) {
                q.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
            }
        }
        WebhookResponse r = runtime.handler().handle(new WebhookRequest(route, "", q, h, body.getBytes(StandardCharsets.UTF_8)));
        WITNESS.seeResponse(r.status(), Map.of(), r.bodyText());
        return r;
    }

    private void queue(String device, String name, String payloadJson) {
        sim.queueCommand(device, name, payloadJson.getBytes(StandardCharsets.UTF_8), SimCommands.DEFAULT_TTL);
    }

    private SimCommands.Command only(String device) {
        List<SimCommands.Command> all = sim.commands(device);
        assertEquals(1, all.size(), all.toString());
        return all.get(0);
    }

    // --- The Things Stack

    private static final String TTS_UPLINK = """
            {"end_device_ids": {"device_id": "dev1", "application_ids": {"application_id": "app1"}, "dev_eui": "70B3D57ED005E3A1"},
             "uplink_message": {"f_port": 1, "f_cnt": %d, "frm_payload": "AQ==",
               "settings": {"data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 7}}}}}""";

    private WebhookResponse ttsUplink(int counter) {
        return call("ttn", "", Map.of("x-downlink-apikey", TTS_KEY, "x-downlink-push", cloudUrl(TTS_PUSH),
                "x-downlink-replace", cloudUrl(TTS_PUSH.replace("/push", "/replace"))), TTS_UPLINK.formatted(counter));
    }

    @Test
    void theThingsStackPushIsTheDocumentedRequest() {
        bridge(Map.of());
        cloud.stubFor(post(urlEqualTo(TTS_PUSH)).willReturn(aResponse().withStatus(200).withBody("{}")));
        assertEquals(200, ttsUplink(1).status());
        queue("70b3d57ed005e3a1", "setInterval", "{\"payload_base64\": \"vu8=\", \"port\": 15}");

        assertEquals(200, ttsUplink(2).status());

        // the docs' own example: {"downlinks":[{"frm_payload":"vu8=","f_port":15,"priority":"NORMAL"}]}
        cloud.verify(1, postRequestedFor(urlEqualTo(TTS_PUSH))
                .withHeader("Authorization", equalTo("Bearer " + TTS_KEY))
                .withHeader("Content-Type", equalTo("application/json"))
                .withRequestBody(equalToJson("{\"downlinks\":[{\"frm_payload\":\"vu8=\",\"f_port\":15,\"priority\":\"NORMAL\"}]}")));
        assertEquals(SimCommands.State.COMPLETED, only("70b3d57ed005e3a1").state());
    }

    @Test
    void aCloudThatFailsGetsTheCommandAgainWithTheNextUplink() {
        bridge(Map.of());
        cloud.stubFor(post(urlEqualTo(TTS_PUSH)).inScenario("flaky").whenScenarioStateIs("Started")
                .willReturn(aResponse().withStatus(503).withBody("{\"code\":14,\"message\":\"unavailable\"}"))
                .willSetStateTo("recovered"));
        cloud.stubFor(post(urlEqualTo(TTS_PUSH)).inScenario("flaky").whenScenarioStateIs("recovered")
                .willReturn(aResponse().withStatus(200).withBody("{}")));
        assertEquals(200, ttsUplink(1).status());
        queue("70b3d57ed005e3a1", "setInterval", "{\"payload_hex\": \"0f\", \"port\": 10}");

        assertEquals(200, ttsUplink(2).status(), "the cloud's failure never fails the uplink");
        SimCommands.Command abandoned = only("70b3d57ed005e3a1");
        assertEquals(SimCommands.State.QUEUED, abandoned.state());
        assertEquals(1, abandoned.deliveryCount(), "abandoned: back in the queue, counted");
        assertTrue(logged("downlink=abandoned command=setInterval"), String.join("\n", logs));

        assertEquals(200, ttsUplink(3).status());
        assertEquals(SimCommands.State.COMPLETED, only("70b3d57ed005e3a1").state());
        cloud.verify(2, postRequestedFor(urlEqualTo(TTS_PUSH)).withRequestBody(
                equalToJson("{\"downlinks\":[{\"frm_payload\":\"Dw==\",\"f_port\":10,\"priority\":\"NORMAL\"}]}")));
    }

    @Test
    void aCloudThatDoesNotAnswerInTimeIsAbandonedWithinTheCallsBudget() {
        bridge(Map.of("BRIDGE_REQUEST_BUDGET_MS", "1200"));
        cloud.stubFor(post(urlEqualTo(TTS_PUSH)).willReturn(aResponse().withStatus(200).withFixedDelay(10_000)));
        assertEquals(200, ttsUplink(1).status());
        queue("70b3d57ed005e3a1", "setInterval", "{\"payload_hex\": \"0f\", \"port\": 10}");

        long start = System.nanoTime();
        assertEquals(200, ttsUplink(2).status());
        long took = (System.nanoTime() - start) / 1_000_000;

        assertTrue(took < 5_000, "answered within about the call's budget, not the cloud's 10 s: " + took + " ms");
        SimCommands.Command c = only("70b3d57ed005e3a1");
        assertEquals(SimCommands.State.QUEUED, c.state());
        assertEquals(1, c.deliveryCount());
        assertTrue(logged("no answer in time"), String.join("\n", logs));
    }

    @Test
    void aCloudThatRefusesTheDownlinkRejectsTheCommand() {
        bridge(Map.of());
        cloud.stubFor(post(urlEqualTo(TTS_PUSH)).willReturn(aResponse().withStatus(400)
                .withBody("{\"code\":3,\"message\":\"error:pkg/applicationserver:f_port_invalid (invalid FPort)\"}")));
        assertEquals(200, ttsUplink(1).status());
        queue("70b3d57ed005e3a1", "setInterval", "{\"payload_hex\": \"0f\", \"port\": 10}");

        assertEquals(200, ttsUplink(2).status());

        SimCommands.Command c = only("70b3d57ed005e3a1");
        assertEquals(SimCommands.State.REJECTED, c.state(), "never retried: dead-lettered");
        assertTrue(logged("downlink=rejected command=setInterval"), String.join("\n", logs));
        assertTrue(logged("f_port_invalid"), "the cloud's reason is in the log: " + String.join("\n", logs));
    }

    @Test
    void aLockThatRunsOutWhileTheCloudWorksIsLoggedAndTheCommandComesBack() {
        bridge(Map.of());
        cloud.stubFor(post(urlEqualTo(TTS_PUSH)).willReturn(aResponse().withStatus(200).withBody("{}")));
        assertEquals(200, ttsUplink(1).status());
        queue("70b3d57ed005e3a1", "setInterval", "{\"payload_hex\": \"0f\", \"port\": 10}");
        duringCloudRequest.set(() -> simClock.advance(Duration.ofMinutes(2)));

        assertEquals(200, ttsUplink(2).status());

        assertTrue(logged("settlement=LOCK_LOST"), String.join("\n", logs));
        SimCommands.Command c = only("70b3d57ed005e3a1");
        assertEquals(SimCommands.State.QUEUED, c.state(), "the hub took it back when the lock ran out");
    }

    @Test
    void aPushUrlOnAHostNotAllowedIsRefusedAndNothingIsReceivedOrSent() {
        bridge(Map.of("BRIDGE_ROUTE_TTN_DOWNLINK_HOSTS", ".cloud.thethings.network"));
        cloud.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(200)));
        assertEquals(200, ttsUplink(1).status());
        queue("70b3d57ed005e3a1", "setInterval", "{\"payload_hex\": \"0f\", \"port\": 10}");

        assertEquals(200, ttsUplink(2).status());

        cloud.verify(0, anyRequestedFor(anyUrl()));
        SimCommands.Command c = only("70b3d57ed005e3a1");
        assertEquals(SimCommands.State.QUEUED, c.state(), "not received: it waits for an uplink the bridge can serve");
        assertEquals(0, c.deliveryCount());
        assertTrue(logged("downlink=refused error=\"host 127.0.0.1 is not among the route's allowed downlink hosts"),
                String.join("\n", logs));
    }

    @Test
    void aPlainHttpPushUrlIsRefusedOffThisMachine() {
        bridge(Map.of("BRIDGE_ROUTE_TTN_DOWNLINK_HOSTS", "eu1.cloud.thethings.network"));
        assertEquals(200, call("ttn", "", Map.of("x-downlink-apikey", TTS_KEY, "x-downlink-push",
                "http://eu1.cloud.thethings.network" + TTS_PUSH), TTS_UPLINK.formatted(1)).status());
        assertTrue(logged("goes over https only"), String.join("\n", logs));
    }

    @Test
    void oneReceivePerDeviceAndInterval() {
        bridge(Map.of("BRIDGE_DOWNLINK_MIN_INTERVAL_SECONDS", "3600"));
        cloud.stubFor(post(urlEqualTo(TTS_PUSH)).willReturn(aResponse().withStatus(200).withBody("{}")));
        assertEquals(200, ttsUplink(1).status()); // the first offered uplink receives (nothing queued yet)
        queue("70b3d57ed005e3a1", "setInterval", "{\"payload_hex\": \"0f\", \"port\": 10}");

        assertEquals(200, ttsUplink(2).status());

        assertEquals(SimCommands.State.QUEUED, only("70b3d57ed005e3a1").state(), "too soon: not received");
        cloud.verify(0, anyRequestedFor(anyUrl()));
    }

    // --- ChirpStack, Helium, LORIOT

    @Test
    void chirpStackEnqueueIsTheDocumentedRequest() {
        bridge(Map.of());
        cloud.stubFor(post(urlEqualTo("/api/devices/0101010101010101/queue"))
                .willReturn(aResponse().withStatus(200).withBody("{\"id\":\"7a8f2c1e-0000-4000-8000-000000000001\"}")));
        String up = """
                {"deduplicationId": "3ac7e3c4-4401-4b8d-9386-a5c902f9202d", "time": "2026-11-27T10:00:00+00:00",
                 "deviceInfo": {"devEui": "0101010101010101"}, "fCnt": %d, "fPort": 1, "data": "qg=="}""";
        assertEquals(200, call("chirpstack", "event=up", Map.of(), up.formatted(1)).status());
        queue("0101010101010101", "setInterval", "{\"payload_base64\": \"AQID\", \"port\": 10}");

        assertEquals(200, call("chirpstack", "event=up", Map.of(), up.formatted(2)).status());

        // ChirpStack's own example: data "AQID" (010203) on fPort 10, unconfirmed; its REST API's token header
        cloud.verify(1, postRequestedFor(urlEqualTo("/api/devices/0101010101010101/queue"))
                .withHeader("Grpc-Metadata-Authorization", equalTo("Bearer " + CHIRPSTACK_KEY))
                .withRequestBody(equalToJson("{\"queueItem\":{\"confirmed\":false,\"data\":\"AQID\",\"fPort\":10}}")));
        assertEquals(SimCommands.State.COMPLETED, only("0101010101010101").state());
    }

    @Test
    void heliumDownlinkIsTheDocumentedRequest() {
        bridge(Map.of());
        String down = "/api/v1/down/897780bc-6980-42c1-a659-30077e8dbcd1/h4IxFDle6biV1ZKmrUJamaXhKjRRF3c-/d2c7b8dc-221a-4ec8-aedd-6c19ae348a33";
        cloud.stubFor(post(urlEqualTo(down)).willReturn(aResponse().withStatus(200).withBody("Downlink scheduled")));
        String up = """
                {"dev_eui": "0303030303030303", "id": "d2c7b8dc-221a-4ec8-aedd-6c19ae348a33", "fcnt": %d, "port": 1,
                 "payload": "AQ==", "downlink_url": "%s"}""";
        String url = cloudUrl(down);
        assertEquals(200, call("helium", "", Map.of(), up.formatted(1, url)).status());
        queue("0303030303030303", "hello", "{\"payload_base64\": \"SGVsbG8sIHdvcmxkIQ==\", \"port\": 1}");

        assertEquals(200, call("helium", "", Map.of(), up.formatted(2, url)).status());

        // Helium's own example: {"payload_raw": "SGVsbG8sIHdvcmxkIQ==", "port": 1, "confirmed": false}
        cloud.verify(1, postRequestedFor(urlEqualTo(down)).withRequestBody(
                equalToJson("{\"payload_raw\":\"SGVsbG8sIHdvcmxkIQ==\",\"port\":1,\"confirmed\":false}")));
    }

    @Test
    void loriotTxIsTheDocumentedMessage() {
        bridge(Map.of());
        cloud.stubFor(post(urlEqualTo("/1/rest")).willReturn(aResponse().withStatus(200).withBody("{}")));
        String up = "{\"cmd\": \"rx\", \"EUI\": \"0102030405060708\", \"ts\": 1470850675433, \"fcnt\": %d, \"port\": 1, \"data\": \"0a\"}";
        assertEquals(200, call("loriot", "", Map.of(), up.formatted(1)).status());
        queue("0102030405060708", "set", "{\"payload_hex\": \"0102AABB\", \"port\": 1, \"confirmed\": true}");

        assertEquals(200, call("loriot", "", Map.of(), up.formatted(2)).status());

        // LORIOT's own example message, plus the application id its REST endpoint needs
        cloud.verify(1, postRequestedFor(urlEqualTo("/1/rest"))
                .withHeader("Authorization", equalTo("Bearer " + LORIOT_KEY))
                .withRequestBody(equalToJson("{\"cmd\":\"tx\",\"EUI\":\"0102030405060708\",\"port\":1,\"confirmed\":true,"
                        + "\"data\":\"0102aabb\",\"appid\":\"BE7A0000\"}")));
    }

    // --- Sigfox, and the encoding rules

    private static final String SIGFOX = "{\"device\": \"1A2B3C\", \"time\": 1653666733, \"data\": \"00\", \"seqNumber\": %d, \"ack\": true}";

    @Test
    void aSigfoxAnswerIsTheDocumentedBidirBody() throws Exception {
        bridge(Map.of());
        assertEquals(204, call("sigfox", "", Map.of(), SIGFOX.formatted(1)).status());
        queue("1a2b3c", "setInterval", "\"DEADBEEFCAFEF00D\"");

        WebhookResponse r = call("sigfox", "", Map.of(), SIGFOX.formatted(2));

        assertEquals(200, r.status());
        assertEquals("application/json; charset=utf-8", r.headers().get("Content-Type"));
        assertEquals(JSON.readTree("{\"1A2B3C\": {\"downlinkData\": \"deadbeefcafef00d\"}}"), JSON.readTree(r.body()));
        assertEquals(SimCommands.State.COMPLETED, only("1a2b3c").state());
    }

    @Test
    void aDownlinkMappingTurnsACommandIntoBytes(@org.junit.jupiter.api.io.TempDir java.nio.file.Path folder) throws Exception {
        java.nio.file.Files.copy(java.nio.file.Path.of("transforms/sigfox.jq"), folder.resolve("sigfox.jq"));
        java.nio.file.Files.writeString(folder.resolve("sigfox.downlink.jq"), """
                if .name == "setInterval" then {bytes: ([1] + (.payload.minutes | uint_bytes(16)) + [0, 0, 0, 0, 0])}
                elif .name == "reboot" then error("reboot is not sent over the air")
                else empty end
                """);
        bridge(Map.of("BRIDGE_TRANSFORMS_DIR", folder.toString()));
        assertEquals(204, call("sigfox", "", Map.of(), SIGFOX.formatted(1)).status());
        queue("1a2b3c", "setInterval", "{\"minutes\": 15}");

        WebhookResponse r = call("sigfox", "", Map.of(), SIGFOX.formatted(2));

        assertEquals(JSON.readTree("{\"1A2B3C\": {\"downlinkData\": \"01000f0000000000\"}}"), JSON.readTree(r.body()));
        queue("1a2b3c", "reboot", "{}");
        assertEquals(204, call("sigfox", "", Map.of(), SIGFOX.formatted(3)).status());
        SimCommands.Command reboot = sim.commands("1a2b3c").stream().filter(c -> c.methodName().equals("reboot")).findFirst().orElseThrow();
        assertEquals(SimCommands.State.REJECTED, reboot.state());
        assertTrue(logged("reboot is not sent over the air"), String.join("\n", logs));
    }

    @Test
    void aCommandTooLargeForTheDataRateIsRejectedNotCut() {
        bridge(Map.of());
        cloud.stubFor(post(urlEqualTo(TTS_PUSH)).willReturn(aResponse().withStatus(200).withBody("{}")));
        String sf12 = TTS_UPLINK.replace("\"spreading_factor\": 7", "\"spreading_factor\": 12");
        Map<String, String> h = Map.of("x-downlink-apikey", TTS_KEY, "x-downlink-push", cloudUrl(TTS_PUSH));
        assertEquals(200, call("ttn", "", h, sf12.formatted(1)).status());
        queue("70b3d57ed005e3a1", "config", "{\"payload_hex\": \"" + "00".repeat(52) + "\", \"port\": 10}");

        assertEquals(200, call("ttn", "", h, sf12.formatted(2)).status());

        assertEquals(SimCommands.State.REJECTED, only("70b3d57ed005e3a1").state());
        cloud.verify(0, anyRequestedFor(anyUrl()));
        assertTrue(logged("the downlink is 52 bytes; at this uplink's data rate the network takes at most 51"), String.join("\n", logs));
    }

    private boolean logged(String text) {
        synchronized (logs) {
            return logs.stream().anyMatch(l -> l.contains(text));
        }
    }

    /** The simulator's clock: the system's, which a test can move ahead (the simulated DPS assigns as time passes). */
    private static final class MovableClock extends Clock {
        private volatile Duration ahead = Duration.ZERO;

        void advance(Duration d) {
            ahead = ahead.plus(d);
        }

        @Override
        public Instant instant() {
            return Instant.now().plus(ahead);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
