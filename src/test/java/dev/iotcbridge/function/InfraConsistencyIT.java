package dev.iotcbridge.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.config.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * infra/ read together with the code and the packaged Function App. No Bicep compiler can be installed here (it
 * ships as a .NET tool and as binaries downloaded from GitHub, neither reachable), so the templates are read as text:
 * these checks catch a setting the bridge does not know, one it needs and nobody sets, connection names that
 * disagree with the generated function.json, a secret written into a file, and a Key Vault reference in another
 * form than the documented one. Whether Azure accepts the templates only a deployment shows (README "Deploy to Azure").
 */
class InfraConsistencyIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path APP = Path.of(System.getProperty("functionAppDir", "target/azure-functions/iotc-webhook-bridge"));
    private static final Path RESOURCES = Path.of("infra/resources.bicep");
    private static final Path MAIN = Path.of("infra/main.bicep");
    /** The variables of resources.bicep whose union is the app's settings. */
    private static final List<String> SETTING_BLOCKS =
            List.of("hostSettings", "bridgeSettings", "modelSettings", "durableSettings", "synchronousSettings");

    /** Settings the bridge reads that the Bicep leaves to their defaults on purpose, each with the reason. */
    private static final Map<String, String> LEFT_TO_DEFAULTS = Map.ofEntries(
            Map.entry("IOTC_GROUP_KEY_SECONDARY", "optional: key rotation; rotate the Key Vault secret instead"),
            Map.entry("IOTC_DPS_HOST", "the global DPS endpoint serves IoT Central and every DPS"),
            Map.entry("IOTC_DPS_API_VERSION", "default is the documented version"),
            Map.entry("IOTC_HUB_API_VERSION", "default is the documented version"),
            Map.entry("BRIDGE_TRANSFORMS_DIR", "the transforms folder packaged beside the jar"),
            Map.entry("BRIDGE_REQUEST_BUDGET_MS", "default fits TTS and ChirpStack's 5 s timeout"),
            Map.entry("BRIDGE_MAX_BODY_BYTES", "limit default"),
            Map.entry("BRIDGE_MAX_JSON_DEPTH", "limit default"),
            Map.entry("BRIDGE_MAX_MESSAGES_PER_CALL", "limit default"),
            Map.entry("BRIDGE_DEVICE_CACHE_SIZE", "cache default"),
            Map.entry("BRIDGE_DEVICE_CACHE_EXPIRY_MINUTES", "cache default"),
            Map.entry("BRIDGE_DPS_REGISTRATIONS_PER_MINUTE", "DPS quota default"),
            Map.entry("BRIDGE_DPS_REGISTRATION_BURST", "DPS quota default"),
            Map.entry("BRIDGE_DPS_REFUSAL_BACKOFF_SECONDS", "back-off default"),
            Map.entry("BRIDGE_REPROVISION_WINDOW_SECONDS", "the reference bridge's one registration per device per minute"),
            Map.entry("BRIDGE_SAS_TTL_MINUTES", "token default"),
            Map.entry("BRIDGE_ALLOW_HTTP", "tests and the simulator only; refused off loopback"),
            Map.entry("BRIDGE_FUNCTION_KEY", "local server only: on Azure the host checks function keys"),
            Map.entry("BRIDGE_BIND_ADDRESS", "local server only"),
            Map.entry("BRIDGE_PORT", "local server only"),
            Map.entry("BRIDGE_QUEUE_CONNECTION", "a connection string: the storage account refuses shared keys, the identity settings are used"),
            Map.entry("BRIDGE_QUEUE_CONNECTION__serviceUri", "the host's alias of __queueServiceUri, which is set"),
            Map.entry("BRIDGE_QUEUE_MAX_DEQUEUE_COUNT", "default equals host.json's maxDequeueCount (checked below)"),
            Map.entry("BRIDGE_QUEUE_BACKOFF_SECONDS", "local worker only: on Azure host.json's visibilityTimeout"),
            Map.entry("BRIDGE_QUEUE_MAX_BACKOFF_SECONDS", "local worker only"),
            Map.entry("BRIDGE_QUEUE_WORKERS", "local worker only: on Azure host.json's batchSize"),
            Map.entry("BRIDGE_ROUTE_SIGFOX_PAYLOAD_CONFIG", "a route's own setting: extraSettings"),
            Map.entry("BRIDGE_DOWNLINK_MIN_INTERVAL_SECONDS", "commands: 60 s suits most fleets; an operator tunes it to the hub's receive throttle"));
    /** What the Bicep sets for the platform rather than for the bridge. */
    private static final Set<String> PLATFORM_SETTINGS = Set.of("AzureWebJobsStorage__blobServiceUri",
            "AzureWebJobsStorage__credential", "AzureWebJobsStorage__clientId", "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "APPLICATIONINSIGHTS_ENABLE_AGENT", "JAVA_OPTS",
            "AzureWebJobs.deliver.Disabled");
    /** Settings Flex Consumption deprecates (they conflict with functionAppConfig or are managed by the platform). */
    private static final List<String> FLEX_DEPRECATED = List.of("FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION",
            "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_CONTENTSHARE", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
            "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT", "WEBSITE_USE_PLACEHOLDER", "linuxFxVersion");

    @Test
    void everySettingTheBicepGivesIsOneTheBridgeOrThePlatformReads() throws IOException {
        Set<String> known = bridgeSettings();
        for (String name : bicepSettings().keySet()) {
            assertTrue(known.contains(name) || PLATFORM_SETTINGS.contains(name),
                    name + " is set by infra/resources.bicep but read by neither the bridge nor the platform (a typo?)");
        }
    }

    @Test
    void everySettingTheBridgeReadsIsSetByTheBicepOrDeliberatelyLeftToItsDefault() throws IOException {
        Map<String, String> bicep = bicepSettings();
        assertTrue(bicep.containsKey("IOTC_ID_SCOPE") && bicep.containsKey("IOTC_GROUP_KEY"),
                "the two settings without which nothing is delivered");
        List<String> unclassified = new ArrayList<>();
        for (String name : bridgeSettings()) {
            if (!bicep.containsKey(name) && !LEFT_TO_DEFAULTS.containsKey(name)) {
                unclassified.add(name);
            }
        }
        assertEquals(List.of(), unclassified, "set these in infra/resources.bicep, or say here why their default is right");
        for (String name : LEFT_TO_DEFAULTS.keySet()) {
            assertTrue(bridgeSettings().contains(name), name + " is no longer a setting: drop it from LEFT_TO_DEFAULTS");
        }
    }

    @Test
    void theConnectionNameIsOneAndTheSameInTheBindingsTheCodeAndTheBicep() throws IOException {
        JsonNode bindings = JSON.readTree(APP.resolve("deliver/function.json").toFile()).get("bindings");
        JsonNode trigger = bindings.get(0);
        JsonNode poison = bindings.get(1);
        assertEquals("queueTrigger", trigger.get("type").asText());
        assertEquals("queue", poison.get("type").asText());
        String connection = trigger.get("connection").asText();
        assertEquals(connection, poison.get("connection").asText(), "trigger and poison output share the connection");
        assertEquals(Settings.QUEUE_CONNECTION, connection, "the HTTP side reads the same name");
        assertEquals("%BRIDGE_QUEUE_NAME%", trigger.get("queueName").asText());
        assertEquals("%BRIDGE_QUEUE_NAME%" + Settings.POISON_SUFFIX, poison.get("queueName").asText());

        Map<String, String> durable = block(read(RESOURCES), "durableSettings");
        assertEquals("queueName", durable.get("BRIDGE_QUEUE_NAME"));
        assertEquals("storage.properties.primaryEndpoints.queue", durable.get(connection + "__queueServiceUri"));
        assertEquals("'managedidentity'", durable.get(connection + "__credential"));
        assertEquals("identity.properties.clientId", durable.get(connection + "__clientId"));
        assertFalse(durable.containsKey(connection), "no connection string: the account allows no shared key");
        String bicep = read(RESOURCES);
        assertTrue(bicep.contains("var poisonQueueName = '${queueName}" + Settings.POISON_SUFFIX + "'"),
                "the poison queue the Bicep creates is the one the binding and the bridge write to");
        assertTrue(bicep.contains("allowSharedKeyAccess: false"));

        // AzureWebJobs.<function>.Disabled names the queue-triggered function
        assertTrue(Files.isDirectory(APP.resolve("deliver")));
        assertEquals("'false'", durable.get("AzureWebJobs.deliver.Disabled"));
        assertEquals("'true'", block(bicep, "synchronousSettings").get("AzureWebJobs.deliver.Disabled"));
    }

    @Test
    void theGroupKeyIsAKeyVaultReferenceInTheDocumentedFormResolvedByTheAppsIdentity() throws IOException {
        String bicep = read(RESOURCES);
        String reference = block(bicep, "bridgeSettings").get("IOTC_GROUP_KEY");
        // @Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/<name>/): vaultUri ends with '/'
        assertEquals("'@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${groupKeySecretName}/)'", reference);
        assertTrue(bicep.contains("keyVaultReferenceIdentity: identity.id"), "resolved with the user-assigned identity");
        assertTrue(bicep.contains("enableRbacAuthorization: true"));
        Matcher secretsUser = Pattern.compile("resource secretsUser [^{]+\\{(.*?)\\n}", Pattern.DOTALL).matcher(bicep);
        assertTrue(secretsUser.find());
        assertTrue(secretsUser.group(1).contains("scope: vault") && secretsUser.group(1).contains("roles.keyVaultSecretsUser")
                && secretsUser.group(1).contains("principalId: identity.properties.principalId"), secretsUser.group(1));
        assertTrue(Pattern.compile("@secure\\(\\)\\s*(@description\\([^\\n]*\\)\\s*)?param groupKey string").matcher(read(MAIN)).find(),
                "the key is a secure parameter in main.bicep");
        assertTrue(Pattern.compile("@secure\\(\\)\\s*param groupKey string").matcher(bicep).find());
    }

    @Test
    void noFileOfTheDeploymentHoldsASecret() throws IOException {
        Pattern base64Run = Pattern.compile("[A-Za-z0-9+/]{40,}={0,2}");
        Pattern literalKey = Pattern.compile("(AccountKey|SharedAccessKey|SharedAccessSignature|sig)=(?!\\$\\{)[^;'\"\\s]+");
        for (Path file : deploymentFiles()) {
            String text = read(file);
            Matcher m = base64Run.matcher(text);
            while (m.find()) {
                String run = m.group();
                // a key mixes digits and both cases; resource type paths (Storage/storageAccounts/...) do not
                if (run.matches(".*[0-9].*") && run.matches(".*[A-Z].*") && run.matches(".*[a-z].*")) {
                    fail(file + " holds something key-shaped: " + run.substring(0, 8) + "...");
                }
            }
            assertFalse(literalKey.matcher(text).find(), file + " writes a key down");
            assertFalse(text.contains("-----BEGIN"), file + " holds a private key or certificate");
        }
    }

    @Test
    void theAppIsFlexConsumptionOnJava21WithMemoryAndScaleAsParametersAndNothingFlexDeprecates() throws IOException {
        String bicep = read(RESOURCES);
        assertTrue(bicep.contains("sku: { name: 'FC1', tier: 'FlexConsumption' }"));
        assertTrue(Pattern.compile("runtime: \\{\\s*name: 'java'\\s*version: '21'\\s*}").matcher(bicep).find());
        assertTrue(bicep.contains("instanceMemoryMB: instanceMemoryMB") && bicep.contains("maximumInstanceCount: maximumInstanceCount"));
        assertTrue(bicep.contains("type: 'blobContainer'") && bicep.contains("type: 'UserAssignedIdentity'"));
        String main = read(MAIN);
        assertTrue(main.contains("param instanceMemoryMB int = 2048") && main.contains("param maximumInstanceCount int = 100"));
        for (Path file : deploymentFiles()) {
            String text = read(file);
            for (String deprecated : FLEX_DEPRECATED) {
                assertFalse(text.contains(deprecated), file + " uses " + deprecated + ", which Flex Consumption deprecates");
            }
        }
        String pom = read(Path.of("pom.xml"));
        assertTrue(pom.contains("<pricingTier>Flex Consumption</pricingTier>") && pom.contains("<javaVersion>21</javaVersion>"));
        assertTrue(pom.contains("<maven.compiler.release>17</maven.compiler.release>"), "the code stays Java 17");
    }

    @Test
    void hostJsonIsWhatFlexHonoursAndAgreesWithTheBridge() throws IOException {
        JsonNode host = JSON.readTree(APP.resolve("host.json").toFile());
        // Flex: non-.NET apps need extension bundle [4.0.0, 5.0.0) or later (docs/azure-protocol.md §6)
        assertEquals("Microsoft.Azure.Functions.ExtensionBundle", host.at("/extensionBundle/id").asText());
        assertEquals("[4.*, 5.0.0)", host.at("/extensionBundle/version").asText());
        assertEquals(Settings.from(Map.of()).queueMaxDequeueCount(), host.at("/extensions/queues/maxDequeueCount").asInt(),
                "the bridge's last try is the host's last, so its poison entry carries the reason");
        assertEquals("base64", host.at("/extensions/queues/messageEncoding").asText(), "what the bridge's intake writes");
    }

    @Test
    void everyParameterAzdMustFillIsMappedAndTheHooksExist() throws IOException {
        JsonNode mapped = JSON.readTree(Path.of("infra/main.parameters.json").toFile()).get("parameters");
        Matcher param = Pattern.compile("(?m)^param (\\w+) \\w+( = .*)?$").matcher(read(MAIN));
        while (param.find()) {
            if (param.group(2) == null) {
                assertTrue(mapped.has(param.group(1)), param.group(1) + " has no default and no value in main.parameters.json");
            }
        }
        for (Iterator<String> it = mapped.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            assertTrue(Pattern.compile("(?m)^param " + name + " ").matcher(read(MAIN)).find(), name + " is no parameter");
        }
        Matcher run = Pattern.compile("run: (\\S+)").matcher(read(Path.of("azure.yaml")));
        int hooks = 0;
        while (run.find()) {
            Path hook = Path.of(run.group(1));
            assertTrue(Files.isRegularFile(hook) && Files.isExecutable(hook), hook + " exists and is executable");
            hooks++;
        }
        assertEquals(3, hooks);
        String outputs = read(MAIN);
        for (String used : List.of("AZURE_RESOURCE_GROUP", "AZURE_FUNCTION_APP_NAME", "FUNCTION_APP_HOST", "KEY_VAULT_NAME",
                "GROUP_KEY_SECRET_NAME", "DPS_NAME", "DPS_ID_SCOPE", "ENROLLMENT_GROUP_ID")) {
            assertTrue(outputs.contains("output " + used + " "), "the hooks read " + used + ", an output of main.bicep");
        }
    }

    // --- reading ---

    /** The bridge's settings: the names of local.settings.json.example, which the settings test checks against the code. */
    private static Set<String> bridgeSettings() throws IOException {
        Set<String> names = new TreeSet<>();
        JSON.readTree(Path.of("local.settings.json.example").toFile()).get("Values").fieldNames().forEachRemaining(n -> {
            if (n.startsWith("IOTC_") || n.startsWith("BRIDGE_")) {
                names.add(n);
            }
        });
        return names;
    }

    /** Every key of the setting blocks, with its value as written. */
    private static Map<String, String> bicepSettings() throws IOException {
        String bicep = read(RESOURCES);
        Map<String, String> all = new LinkedHashMap<>();
        for (String b : SETTING_BLOCKS) {
            all.putAll(block(bicep, b));
        }
        return all;
    }

    /** The keys and values of {@code var <name> = { ... }} or of the object after {@code : {} : { ... }}. */
    static Map<String, String> block(String bicep, String name) {
        Matcher start = Pattern.compile("(?m)^var " + name + " = [^{\\n]*\\{").matcher(bicep);
        if (!start.find()) {
            throw new AssertionError("no var " + name + " in the Bicep");
        }
        int depth = 1;
        int i = start.end();
        StringBuilder body = new StringBuilder();
        while (depth > 0) {
            char c = bicep.charAt(i++);
            depth += c == '{' ? 1 : c == '}' ? -1 : 0;
            if (depth > 0) {
                body.append(c);
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        Matcher entry = Pattern.compile("(?m)^\\s*'?([A-Za-z_][A-Za-z0-9_.]*)'?\\s*:\\s*(.+?)\\s*$").matcher(body);
        while (entry.find()) {
            out.put(entry.group(1), entry.group(2));
        }
        if (out.isEmpty()) {
            // one-line form: { NAME: value }
            Matcher one = Pattern.compile("'?([A-Za-z_][A-Za-z0-9_.]*)'?\\s*:\\s*([^}]+)").matcher(body);
            while (one.find()) {
                out.put(one.group(1), one.group(2).trim());
            }
        }
        return out;
    }

    private static List<Path> deploymentFiles() throws IOException {
        List<Path> files = new ArrayList<>(List.of(Path.of("azure.yaml"), Path.of("host.json")));
        try (Stream<Path> infra = Files.walk(Path.of("infra"))) {
            infra.filter(Files::isRegularFile).forEach(files::add);
        }
        return files;
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file);
    }
}
