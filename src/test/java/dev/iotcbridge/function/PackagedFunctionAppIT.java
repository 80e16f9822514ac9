package dev.iotcbridge.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What `mvn package` builds: the deployable Function App and the runnable jar. */
class PackagedFunctionAppIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path app = Path.of(System.getProperty("functionAppDir", "target/azure-functions/iotc-webhook-bridge"));
    private final Path jar = Path.of(System.getProperty("bridgeJar", "target/iotc-webhook-bridge.jar"));

    @Test
    void theWebhookFunctionIsAnHttpPostTriggerWithAFunctionKeyOnEveryRoute() throws IOException {
        JsonNode function = JSON.readTree(app.resolve("webhook/function.json").toFile());
        assertTrue(function.get("scriptFile").asText().endsWith(".jar"));
        assertTrue(Files.isRegularFile(app.resolve("webhook").resolve(function.get("scriptFile").asText()).normalize()),
                "the script file the host loads exists");
        assertEquals("dev.iotcbridge.function.WebhookFunction.webhook", function.get("entryPoint").asText());
        JsonNode trigger = function.get("bindings").get(0);
        assertEquals("httpTrigger", trigger.get("type").asText());
        assertEquals("{route}/{*path}", trigger.get("route").asText());
        assertEquals(List.of("POST"), JSON.convertValue(trigger.get("methods"), List.class));
        assertEquals("FUNCTION", trigger.get("authLevel").asText());
        // the host sends JSON and form bodies as text whatever dataType says (docs/azure-protocol.md section 5)
        assertTrue(trigger.path("dataType").isMissingNode(), "no dataType: the body binds as the string the host sends");
        assertEquals(2, function.get("bindings").size(), "the request and the answer: nothing read from the binding data");

        JsonNode health = JSON.readTree(app.resolve("health/function.json").toFile()).get("bindings").get(0);
        assertEquals("ANONYMOUS", health.get("authLevel").asText());
        assertEquals("health", health.get("route").asText());
    }

    @Test
    void theWorkerFindsTheStarterThatStartsTheBridgeAtFunctionLoad() throws IOException {
        JsonNode function = JSON.readTree(app.resolve("webhook/function.json").toFile());
        Path jarFile = app.resolve("webhook").resolve(function.get("scriptFile").asText()).normalize();
        try (java.util.jar.JarFile appJar = new java.util.jar.JarFile(jarFile.toFile())) {
            var entry = appJar.getJarEntry("META-INF/services/com.microsoft.azure.functions.spi.inject.FunctionInstanceInjector");
            assertTrue(entry != null, "the worker looks the injector up through ServiceLoader");
            assertEquals("dev.iotcbridge.function.BridgeStarter",
                    new String(appJar.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8).strip());
        }
        try (Stream<Path> lib = Files.list(app.resolve("lib"))) {
            assertTrue(lib.noneMatch(p -> p.getFileName().toString().startsWith("azure-functions-java-spi")),
                    "the worker has the SPI on its own class path; a second copy is not shipped");
        }
    }

    @Test
    void theAppHoldsHostJsonAndEveryShippedTransform() throws IOException {
        assertTrue(Files.isRegularFile(app.resolve("host.json")));
        JsonNode host = JSON.readTree(app.resolve("host.json").toFile());
        assertEquals("2.0", host.get("version").asText());
        assertEquals(dev.iotcbridge.bridge.WebhookUrl.PREFIX, "/" + host.at("/extensions/http/routePrefix").asText() + "/",
                "the Function reads the route after this prefix in the host's URL");
        try (Stream<Path> shipped = Files.list(Path.of("transforms"))) {
            List<String> names = shipped.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jq")).sorted().toList();
            assertTrue(names.contains("iotc.jq"));
            for (String name : names) {
                assertEquals(Files.readString(Path.of("transforms", name)), Files.readString(app.resolve("transforms").resolve(name)),
                        name + " is packaged unchanged");
            }
        }
    }

    @Test
    void theRunnableJarTurnsASavedBodyIntoCanonicalMessages() throws Exception {
        Path body = Path.of("src/test/resources/webhooks/iotc-bridge/measurements-readme.json");
        Process p = new ProcessBuilder("java", "-jar", jar.toString(), "transform", "iotc", body.toString())
                .redirectErrorStream(false).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        JsonNode messages = JSON.readTree(out);
        assertEquals(1, messages.size());
        assertEquals("my-cloud-device", messages.get(0).get("deviceId").asText());
        assertEquals(20.31, messages.get(0).get("telemetry").get("temp").asDouble());
    }
}
