package dev.iotcbridge.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.queue.Azurite;
import dev.iotcbridge.sim.Simulator;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Durable mode through the local server, against a real Azurite and the simulator: a webhook accepted while
 * every hub is down is answered 202 at once and reaches the hub exactly once when it comes back.
 */
@ExtendWith(Azurite.class)
class DurableLocalBridgeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aWebhookAcceptedDuringAnOutageIsDeliveredOnceTheHubIsBack(Azurite.Service azurite) throws Exception {
        Map<String, String> settings = Map.of(
                "BRIDGE_PORT", "0",
                "BRIDGE_QUEUE_CONNECTION", azurite.connectionString().reveal(),
                "BRIDGE_QUEUE_NAME", azurite.newQueueName(),
                "BRIDGE_QUEUE_BACKOFF_SECONDS", "1",
                "BRIDGE_QUEUE_MAX_BACKOFF_SECONDS", "1",
                "BRIDGE_REQUEST_BUDGET_MS", "300");
        try (LocalBridge bridge = LocalBridge.start(settings, new PrintStream(OutputStream.nullOutputStream()))) {
            Simulator sim = bridge.simulator().orElseThrow();
            sim.hubA().refuseConnections();
            sim.hubB().refuseConnections();

            long start = System.nanoTime();
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + bridge.port() + "/api/iotc"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"device\": {\"deviceId\": \"durable-1\"}, \"measurements\": {\"t\": 1}, \"messageId\": \"outage-1\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            long answeredMs = (System.nanoTime() - start) / 1_000_000;

            assertEquals(202, r.statusCode(), r.body());
            JsonNode body = JSON.readTree(r.body());
            assertEquals(1, body.get("queued").asInt());
            assertEquals("outage-1", body.get("messageIds").get(0).asText());
            assertTrue(answeredMs < 3_000, "answered without waiting for the hub (" + answeredMs + " ms)");

            awaitAtMost(20_000, () -> sim.counters().registrationsReceived() > 0);
            assertEquals(0, sim.messagesAcceptedWithId("outage-1"), "nothing can arrive while the hubs refuse connections");

            sim.hubA().acceptConnections();
            sim.hubB().acceptConnections();
            awaitAtMost(30_000, () -> sim.messagesAcceptedWithId("outage-1") == 1);
            Thread.sleep(1_500); // one more back-off period: a second delivery would show now
            assertEquals(1, sim.messagesAcceptedWithId("outage-1"), "delivered exactly once");
        }
    }

    @Test
    void aBurstOfAThousandCallsReachesTheSimulatedHubExactlyOnceEach(Azurite.Service azurite) throws Exception {
        Map<String, String> settings = Map.of(
                "BRIDGE_PORT", "0",
                "BRIDGE_QUEUE_CONNECTION", azurite.connectionString().reveal(),
                "BRIDGE_QUEUE_NAME", azurite.newQueueName(),
                "BRIDGE_QUEUE_BACKOFF_SECONDS", "1",
                "BRIDGE_QUEUE_WORKERS", "16");
        int calls = 1_000;
        try (LocalBridge bridge = LocalBridge.start(settings, new PrintStream(OutputStream.nullOutputStream()))) {
            Simulator sim = bridge.simulator().orElseThrow();
            HttpClient client = HttpClient.newHttpClient();
            URI uri = URI.create("http://127.0.0.1:" + bridge.port() + "/api/iotc");
            java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(16);
            java.util.List<java.util.concurrent.Future<Integer>> statuses = new java.util.ArrayList<>();
            for (int i = 0; i < calls; i++) {
                String body = "{\"device\": {\"deviceId\": \"burst-" + (i % 40) + "\"}, \"measurements\": {\"n\": " + i
                        + "}, \"messageId\": \"burst-msg-" + i + "\"}";
                statuses.add(senders.submit(() -> client.send(HttpRequest.newBuilder(uri)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding()).statusCode()));
            }
            for (java.util.concurrent.Future<Integer> status : statuses) {
                assertEquals(202, status.get());
            }
            senders.shutdown();

            awaitAtMost(90_000, () -> sim.counters().messagesAccepted() >= calls);
            for (int i = 0; i < calls; i++) {
                assertEquals(1, sim.messagesAcceptedWithId("burst-msg-" + i), "burst-msg-" + i + " reached the hub exactly once");
            }
            assertEquals(calls, sim.counters().messagesAccepted(), "and nothing else did");
        }
    }

    @Test
    void theWorkerPushesTheQueuedCommandAfterDeliveringTheUplink(Azurite.Service azurite) throws Exception {
        Map<String, String> settings = Map.of(
                "BRIDGE_PORT", "0",
                "BRIDGE_QUEUE_CONNECTION", azurite.connectionString().reveal(),
                "BRIDGE_QUEUE_NAME", azurite.newQueueName(),
                "BRIDGE_QUEUE_BACKOFF_SECONDS", "1",
                "BRIDGE_DOWNLINK_MIN_INTERVAL_SECONDS", "0");
        try (LocalBridge bridge = LocalBridge.start(settings, new PrintStream(OutputStream.nullOutputStream()))) {
            Simulator sim = bridge.simulator().orElseThrow();
            String push = sim.clouds().baseUrl() + "/api/v3/as/applications/app1/webhooks/wh1/devices/dur1/down/push";
            String uplink = "{\"end_device_ids\": {\"device_id\": \"dur1\", \"dev_eui\": \"70B3D57ED0000001\"},"
                    + " \"uplink_message\": {\"f_port\": 1, \"f_cnt\": %d, \"frm_payload\": \"AQ==\"}}";
            HttpClient client = HttpClient.newHttpClient();
            java.util.function.IntFunction<HttpRequest> call = n -> HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + bridge.port() + "/api/ttn"))
                    .header("Content-Type", "application/json")
                    .header("X-Downlink-Apikey", "NNSXS.DURABLE.KEY").header("X-Downlink-Push", push)
                    .POST(HttpRequest.BodyPublishers.ofString(uplink.formatted(n))).build();
            assertEquals(202, client.send(call.apply(1), HttpResponse.BodyHandlers.ofString()).statusCode());
            awaitAtMost(30_000, () -> sim.messagesAcceptedFrom("70b3d57ed0000001") == 1);
            sim.queueCommand("70b3d57ed0000001", "setInterval",
                    "{\"payload_hex\": \"0f\", \"port\": 10}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    dev.iotcbridge.sim.SimCommands.DEFAULT_TTL);

            HttpResponse<String> r = client.send(call.apply(2), HttpResponse.BodyHandlers.ofString());

            assertEquals(202, r.statusCode(), "answered at once, before any command is received");
            awaitAtMost(30_000, () -> sim.clouds().downlinksTo("dur1").size() == 1);
            assertEquals("0f", sim.clouds().downlinksTo("dur1").get(0).payloadHex());
            assertEquals(10, sim.clouds().downlinksTo("dur1").get(0).port());
            awaitAtMost(10_000, () -> sim.commands("70b3d57ed0000001").get(0).state()
                    == dev.iotcbridge.sim.SimCommands.State.COMPLETED);
        }
    }

    private static void awaitAtMost(long millis, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("condition not met within " + millis + " ms");
            }
            Thread.sleep(50);
        }
    }
}
