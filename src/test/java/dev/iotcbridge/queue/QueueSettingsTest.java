package dev.iotcbridge.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.config.InvalidSettingException;
import dev.iotcbridge.config.Settings;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The durable-mode settings, as an operator writes them. */
class QueueSettingsTest {

    private static Settings settings(String... pairs) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            values.put(pairs[i], pairs[i + 1]);
        }
        return Settings.from(values);
    }

    private static String problem(String... pairs) {
        return assertThrows(InvalidSettingException.class, () -> settings(pairs)).getMessage();
    }

    @Test
    void defaults() {
        Settings s = settings("BRIDGE_QUEUE_CONNECTION", "UseDevelopmentStorage=true", "BRIDGE_QUEUE_NAME", "iotc-bridge");

        assertTrue(s.durable());
        assertEquals(Optional.of("iotc-bridge-poison"), s.queuePoisonName());
        assertEquals(10, s.queueMaxDequeueCount());
        assertEquals(Duration.ofSeconds(5), s.queueBackoff());
        assertEquals(Duration.ofMinutes(5), s.queueMaxBackoff());
        assertEquals(8, s.queueWorkers());
        QueueOptions o = QueueOptions.from(s);
        assertEquals(s.requestBudget(), o.deliveryBudget());
        assertEquals(s.requestBudget().plusSeconds(30), o.lease());
        assertFalse(s.toString().contains("UseDevelopmentStorage"), "the connection string is a secret");
    }

    @Test
    void withoutAQueueThereIsNoPoisonQueue() {
        assertEquals(Optional.empty(), settings().queuePoisonName());
    }

    @Test
    void tuned() {
        Settings s = settings("BRIDGE_QUEUE_MAX_DEQUEUE_COUNT", "3", "BRIDGE_QUEUE_BACKOFF_SECONDS", "0",
                "BRIDGE_QUEUE_MAX_BACKOFF_SECONDS", "0", "BRIDGE_QUEUE_WORKERS", "1");

        assertEquals(3, s.queueMaxDequeueCount());
        assertEquals(Duration.ZERO, s.queueBackoff());
        assertEquals(Duration.ZERO, s.queueMaxBackoff());
        assertEquals(1, s.queueWorkers());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "BRIDGE_QUEUE_MAX_DEQUEUE_COUNT|0|BRIDGE_QUEUE_MAX_DEQUEUE_COUNT must be between 1 and 1000, was 0",
        "BRIDGE_QUEUE_BACKOFF_SECONDS|soon|BRIDGE_QUEUE_BACKOFF_SECONDS must be a whole number, was 'soon'",
        "BRIDGE_QUEUE_MAX_BACKOFF_SECONDS|604801|BRIDGE_QUEUE_MAX_BACKOFF_SECONDS must be between 0 and 604800, was 604801",
        "BRIDGE_QUEUE_WORKERS|257|BRIDGE_QUEUE_WORKERS must be between 1 and 256, was 257",
    })
    void outOfRange(String name, String value, String expected) {
        assertEquals(expected, problem(name, value));
    }

    @Test
    void theCapMustNotBeBelowTheFirstWait() {
        assertEquals("BRIDGE_QUEUE_MAX_BACKOFF_SECONDS (10) must not be less than BRIDGE_QUEUE_BACKOFF_SECONDS (30)",
                problem("BRIDGE_QUEUE_BACKOFF_SECONDS", "30", "BRIDGE_QUEUE_MAX_BACKOFF_SECONDS", "10"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "IoT-Bridge|BRIDGE_QUEUE_NAME must be an Azure Storage queue name: lower-case letters, digits and single hyphens, starting and ending with a letter or digit, was 'IoT-Bridge'",
        "bridge--in|BRIDGE_QUEUE_NAME must be an Azure Storage queue name: lower-case letters, digits and single hyphens, starting and ending with a letter or digit, was 'bridge--in'",
        "-bridge|BRIDGE_QUEUE_NAME must be an Azure Storage queue name: lower-case letters, digits and single hyphens, starting and ending with a letter or digit, was '-bridge'",
        "bridge_in|BRIDGE_QUEUE_NAME must be an Azure Storage queue name: lower-case letters, digits and single hyphens, starting and ending with a letter or digit, was 'bridge_in'",
        "ab|BRIDGE_QUEUE_NAME must be 3 to 56 characters long (the poison queue adds '-poison' within Storage's 63), was 'ab' (2)",
        "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefg|BRIDGE_QUEUE_NAME must be 3 to 56 characters long (the poison queue adds '-poison' within Storage's 63), was 'abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefg' (57)",
    })
    void queueNames(String name, String expected) {
        assertEquals(expected, problem("BRIDGE_QUEUE_CONNECTION", "UseDevelopmentStorage=true", "BRIDGE_QUEUE_NAME", name));
    }

    @Test
    void theLongestQueueNameLeavesRoomForItsPoisonQueue() {
        String name = "a".repeat(56);

        Settings s = settings("BRIDGE_QUEUE_CONNECTION", "UseDevelopmentStorage=true", "BRIDGE_QUEUE_NAME", name);

        assertEquals(63, s.queuePoisonName().orElseThrow().length());
    }

    // --- the identity-based connection: the Functions host's settings for connection BRIDGE_QUEUE_CONNECTION ---

    private static final String CLIENT_ID = "5e29463d-71da-4fe0-8e69-999b57db23b0";
    /** Building a credential asks for no token: nothing is sent in these tests. */
    private static final com.azure.core.http.HttpClient HTTP = new com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder().build();

    @Test
    void aQueueServiceUriWithAManagedIdentityIsDurableModeWithoutASecret() {
        Settings s = settings("BRIDGE_QUEUE_NAME", "iotc-bridge",
                "BRIDGE_QUEUE_CONNECTION__queueServiceUri", "https://bridgestore.queue.core.windows.net",
                "BRIDGE_QUEUE_CONNECTION__credential", "managedidentity",
                "BRIDGE_QUEUE_CONNECTION__clientId", CLIENT_ID);

        assertTrue(s.durable());
        assertEquals(Optional.empty(), s.queueConnection());
        assertEquals(Optional.of(java.net.URI.create("https://bridgestore.queue.core.windows.net")), s.queueServiceUri());
        assertEquals(Optional.of("managedidentity"), s.queueCredential());
        assertEquals(Optional.of(CLIENT_ID), s.queueClientId());
        QueueAccount account = QueueAccount.from(s, HTTP);
        assertTrue(account instanceof QueueAccount.Identity, account.toString());
        assertTrue(account.whatToCheck().contains("the managed identity with client id " + CLIENT_ID
                + " has the role Storage Queue Data Contributor"), account.whatToCheck());
    }

    @Test
    void withoutAClientIdTheSystemAssignedIdentityIsMeant() {
        Settings s = settings("BRIDGE_QUEUE_NAME", "iotc-bridge",
                "BRIDGE_QUEUE_CONNECTION__queueServiceUri", "https://bridgestore.queue.core.windows.net",
                "BRIDGE_QUEUE_CONNECTION__credential", "ManagedIdentity");

        assertEquals(Optional.of("managedidentity"), s.queueCredential(), "the host reads the value case-insensitively");
        assertTrue(QueueAccount.from(s, HTTP).whatToCheck().contains("the app's system-assigned managed identity"));
    }

    @Test
    void serviceUriIsTheHostsAliasAndQueueServiceUriWinsOverIt() {
        Settings alias = settings("BRIDGE_QUEUE_NAME", "iotc-bridge",
                "BRIDGE_QUEUE_CONNECTION__serviceUri", "https://alias.queue.core.windows.net");
        Settings both = settings("BRIDGE_QUEUE_NAME", "iotc-bridge",
                "BRIDGE_QUEUE_CONNECTION__serviceUri", "https://alias.queue.core.windows.net",
                "BRIDGE_QUEUE_CONNECTION__queueServiceUri", "https://queue.queue.core.windows.net");

        assertEquals("alias.queue.core.windows.net", alias.queueServiceUri().orElseThrow().getHost());
        assertEquals("queue.queue.core.windows.net", both.queueServiceUri().orElseThrow().getHost());
    }

    @Test
    void aConnectionStringWinsOverTheIdentitySettingsAsForTheHost() {
        Settings s = settings("BRIDGE_QUEUE_NAME", "iotc-bridge", "BRIDGE_QUEUE_CONNECTION", "UseDevelopmentStorage=true",
                "BRIDGE_QUEUE_CONNECTION__queueServiceUri", "https://bridgestore.queue.core.windows.net");

        assertTrue(QueueAccount.from(s, HTTP) instanceof QueueAccount.ConnectionString);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "BRIDGE_QUEUE_CONNECTION__queueServiceUri|http://bridgestore.queue.core.windows.net|BRIDGE_QUEUE_CONNECTION__queueServiceUri must be the https URI of the queue service, e.g. https://<account>.queue.core.windows.net, was 'http://bridgestore.queue.core.windows.net'",
        "BRIDGE_QUEUE_CONNECTION__queueServiceUri|bridgestore|BRIDGE_QUEUE_CONNECTION__queueServiceUri must be the https URI of the queue service, e.g. https://<account>.queue.core.windows.net, was 'bridgestore'",
        "BRIDGE_QUEUE_CONNECTION__queueServiceUri|https://bridgestore.queue.core.windows.net?sv=2024&sig=abc|BRIDGE_QUEUE_CONNECTION__queueServiceUri must be the https URI of the queue service, e.g. https://<account>.queue.core.windows.net, was 'https://bridgestore.queue.core.windows.net?sv=2024&sig=abc'",
        "BRIDGE_QUEUE_CONNECTION__credential|clientsecret|BRIDGE_QUEUE_CONNECTION__credential must be managedidentity (or be left out), was 'clientsecret'",
        "BRIDGE_QUEUE_CONNECTION__clientId|my-identity|BRIDGE_QUEUE_CONNECTION__clientId must be the client id (a GUID) of the user-assigned managed identity, was 'my-identity'",
    })
    void identitySettingsAreCheckedAtStart(String name, String value, String expected) {
        Map<String, String> values = new HashMap<>(Map.of("BRIDGE_QUEUE_NAME", "iotc-bridge",
                "BRIDGE_QUEUE_CONNECTION__queueServiceUri", "https://bridgestore.queue.core.windows.net"));
        values.put(name, value);

        assertEquals(expected, assertThrows(InvalidSettingException.class, () -> Settings.from(values)).getMessage());
    }

    @Test
    void aQueueNameWithoutAnAccountNamesBothWaysToGiveOne() {
        assertEquals("durable mode needs its storage account beside BRIDGE_QUEUE_NAME: BRIDGE_QUEUE_CONNECTION (a connection "
                + "string) or BRIDGE_QUEUE_CONNECTION__queueServiceUri (an identity); neither is set",
                problem("BRIDGE_QUEUE_NAME", "iotc-bridge"));
        assertEquals("durable mode needs both its storage account and BRIDGE_QUEUE_NAME; only "
                + "BRIDGE_QUEUE_CONNECTION__queueServiceUri is set",
                problem("BRIDGE_QUEUE_CONNECTION__queueServiceUri", "https://bridgestore.queue.core.windows.net"));
    }

    @Test
    void anUnresolvedKeyVaultReferenceIsNamedAsSuchNotAsBadBase64() {
        String reference = "@Microsoft.KeyVault(SecretUri=https://bridge-kv.vault.azure.net/secrets/iotc-group-key/)";

        String message = problem("IOTC_ID_SCOPE", "0ne00000001", "IOTC_GROUP_KEY", reference);

        assertTrue(message.startsWith("IOTC_GROUP_KEY is a Key Vault reference the platform could not resolve"), message);
        assertTrue(message.contains("Key Vault Secrets User"), message);
    }
}
