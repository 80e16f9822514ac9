package dev.iotcbridge.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.sim.SimTls;
import dev.iotcbridge.sim.Simulator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable mode on a managed identity, for real: the packaged bridge runs as its own process with exactly the
 * settings the Bicep gives the Function App ({@code BRIDGE_QUEUE_CONNECTION__queueServiceUri}, {@code __credential},
 * {@code __clientId}) and the variables the platform sets ({@code IDENTITY_ENDPOINT}, {@code IDENTITY_HEADER}). Azure
 * Identity asks the local stand-in of the managed-identity endpoint for a Storage token, and the Storage SDK creates
 * the queues, puts the webhook's message and receives it with that token, against an Azurite that checks bearer
 * tokens (OAuth mode, HTTPS). No connection string and no account key is given to the bridge.
 */
class ManagedIdentityQueueIT {

    private static final String CLIENT_ID = "3f2c0a4e-9d1b-4c6e-8a57-2b9e6d4f1c08";
    private static final String PASSWORD = "simulator"; // the simulator's public test certificate, see sim/README.md
    private static final Path JAR = Path.of(System.getProperty("bridgeJar", "target/iotc-webhook-bridge.jar"));

    @TempDir
    static Path dir;
    private static Azurite.Service azurite;
    private static Path trustStore;

    @BeforeAll
    static void startAzuriteOverHttpsWithOAuth() throws Exception {
        Path pkcs12 = dir.resolve("localhost.p12");
        try (InputStream in = SimTls.class.getResourceAsStream("/sim/localhost.p12")) {
            Files.copy(in, pkcs12);
        }
        // the bridge's JVM trusts that certificate and nothing else, as a Function App trusts Storage's
        trustStore = dir.resolve("trust.p12");
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("azurite", SimTls.certificate());
        try (OutputStream out = Files.newOutputStream(trustStore)) {
            trusted.store(out, PASSWORD.toCharArray());
        }
        azurite = Azurite.startOAuth(pkcs12, PASSWORD);
    }

    @AfterAll
    static void stopAzurite() throws Exception {
        if (azurite != null) {
            azurite.close();
        }
    }

    @Test
    void theBridgeAsksTheIdentityEndpointForAStorageTokenAndQueuesAndDeliversWithIt() throws Exception {
        try (Simulator sim = Simulator.start();
             ManagedIdentityEndpoint identity = new ManagedIdentityEndpoint("https://storage.azure.com", Clock.systemUTC());
             Bridge bridge = Bridge.start(sim, identity, "mi-ok")) {
            bridge.awaitListening();

            HttpResponse<String> r = bridge.post("/api/iotc",
                    "{\"device\": {\"deviceId\": \"mi-device-1\"}, \"measurements\": {\"t\": 21.5}, \"messageId\": \"mi-1\"}");

            assertEquals(202, r.statusCode(), r.body() + "\n" + bridge.log());
            Eventually.until(Duration.ofSeconds(60), () -> sim.messagesAcceptedWithId("mi-1") == 1,
                    () -> "the queued message reaches the hub through the delivery worker\n" + bridge.log());
            List<ManagedIdentityEndpoint.TokenRequest> asked = identity.requests();
            assertFalse(asked.isEmpty(), "the bridge asked the managed-identity endpoint for a token");
            for (ManagedIdentityEndpoint.TokenRequest t : asked) {
                assertEquals("GET", t.method());
                assertEquals(identity.header(), t.identityHeader(), "the X-IDENTITY-HEADER from IDENTITY_HEADER");
                assertEquals("https://storage.azure.com", t.query().get("resource"), "a token for Azure Storage");
                assertEquals("2019-08-01", t.query().get("api-version"));
                assertEquals(CLIENT_ID, t.query().get("client_id"), "the user-assigned identity of __clientId");
            }
            assertTrue(asked.size() <= 3, "one token serves many calls (it is cached until near its expiry): " + asked.size());
            assertFalse(bridge.log().contains(identity.header()), "the identity header is a secret");
        }
    }

    @Test
    void aTokenStorageRefusesStopsTheStartAndNamesWhatToCheck() throws Exception {
        try (Simulator sim = Simulator.start();
             // a token for Key Vault, not Storage: what a wrong audience or a missing role looks like to the bridge
             ManagedIdentityEndpoint identity = new ManagedIdentityEndpoint("https://vault.azure.net", Clock.systemUTC());
             Bridge bridge = Bridge.start(sim, identity, "mi-refused")) {

            assertTrue(bridge.process.waitFor(60, TimeUnit.SECONDS), "the bridge gives up\n" + bridge.log());
            String log = bridge.log();

            assertTrue(bridge.process.exitValue() != 0, log);
            assertTrue(log.contains("durable mode cannot create its queues 'mi-refused' and 'mi-refused-poison'"), log);
            assertTrue(log.contains("Storage answered 403 AuthenticationFailed (Invalid token audience.)"),
                    "Azurite checks the token, so the success above is meaningful\n" + log);
            assertTrue(log.contains("the managed identity with client id " + CLIENT_ID
                    + " has the role Storage Queue Data Contributor on the account"), log);
            assertFalse(identity.requests().isEmpty(), "it did ask for a token");
        }
    }

    /** The packaged bridge ({@code java -jar iotc-webhook-bridge.jar serve}) as its own process. */
    private static final class Bridge implements AutoCloseable {

        private final Process process;
        private final Path log;
        private final int port;

        private Bridge(Process process, Path log, int port) {
            this.process = process;
            this.log = log;
            this.port = port;
        }

        static Bridge start(Simulator sim, ManagedIdentityEndpoint identity, String queue) throws IOException {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Djavax.net.ssl.trustStore=" + trustStore, "-Djavax.net.ssl.trustStoreType=PKCS12",
                    "-Djavax.net.ssl.trustStorePassword=" + PASSWORD,
                    "-jar", JAR.toAbsolutePath().toString(), "serve", "--port", Integer.toString(port)));
            Path log = dir.resolve(queue + ".log");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().keySet().removeIf(k -> k.startsWith("IOTC_") || k.startsWith("BRIDGE_")
                    || k.startsWith("IDENTITY_") || k.startsWith("MSI_") || k.startsWith("AZURE_"));
            pb.environment().putAll(Map.ofEntries(
                    Map.entry("IOTC_ID_SCOPE", sim.idScope()),
                    Map.entry("IOTC_GROUP_KEY", sim.groupKey().reveal()),
                    Map.entry("IOTC_DPS_HOST", sim.dpsHost()),
                    Map.entry("BRIDGE_ALLOW_HTTP", "true"),
                    Map.entry("BRIDGE_QUEUE_NAME", queue),
                    Map.entry("BRIDGE_QUEUE_CONNECTION__queueServiceUri", azurite.queueServiceUri()),
                    Map.entry("BRIDGE_QUEUE_CONNECTION__credential", "managedidentity"),
                    Map.entry("BRIDGE_QUEUE_CONNECTION__clientId", CLIENT_ID),
                    Map.entry("BRIDGE_QUEUE_BACKOFF_SECONDS", "1"),
                    Map.entry("BRIDGE_QUEUE_MAX_BACKOFF_SECONDS", "1"),
                    // set by the platform in every Function App with a managed identity
                    Map.entry("IDENTITY_ENDPOINT", identity.endpoint()),
                    Map.entry("IDENTITY_HEADER", identity.header())));
            return new Bridge(pb.start(), log, port);
        }

        void awaitListening() {
            HttpClient client = HttpClient.newHttpClient();
            Eventually.until(Duration.ofSeconds(60), () -> {
                if (!process.isAlive()) {
                    throw new AssertionError("the bridge exited with " + process.exitValue() + ":\n" + log());
                }
                try {
                    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/health")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (IOException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }, () -> "the bridge listens on " + port + "\n" + log());
        }

        HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        }

        String log() {
            try {
                return Files.readString(log, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(no log: " + e.getMessage() + ")";
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
