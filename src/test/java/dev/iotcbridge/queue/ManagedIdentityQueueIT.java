package dev.iotcbridge.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.sim.SimTls;
import dev.iotcbridge.sim.Simulator;
import dev.iotcbridge.testing.PackagedBridge;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
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
             PackagedBridge bridge = startBridge(sim, identity, "mi-ok")) {
            bridge.awaitListening(Duration.ofSeconds(60));

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
             PackagedBridge bridge = startBridge(sim, identity, "mi-refused")) {

            assertTrue(bridge.process().waitFor(60, TimeUnit.SECONDS), "the bridge gives up\n" + bridge.log());
            String log = bridge.log();

            assertTrue(bridge.process().exitValue() != 0, log);
            assertTrue(log.contains("durable mode cannot create its queues 'mi-refused' and 'mi-refused-poison'"), log);
            assertTrue(log.contains("Storage answered 403 AuthenticationFailed (Invalid token audience.)"),
                    "Azurite checks the token, so the success above is meaningful\n" + log);
            assertTrue(log.contains("the managed identity with client id " + CLIENT_ID
                    + " has the role Storage Queue Data Contributor on the account"), log);
            assertFalse(identity.requests().isEmpty(), "it did ask for a token");
        }
    }

    private static PackagedBridge startBridge(Simulator sim, ManagedIdentityEndpoint identity, String queue) throws IOException {
        return PackagedBridge.start(List.of("-Djavax.net.ssl.trustStore=" + trustStore,
                        "-Djavax.net.ssl.trustStoreType=PKCS12", "-Djavax.net.ssl.trustStorePassword=" + PASSWORD),
                Map.ofEntries(
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
                        Map.entry("IDENTITY_HEADER", identity.header())),
                dir.resolve(queue + ".log"));
    }
}
