package dev.iotcbridge.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the shipped transforms ({@code transforms/*.jq}) on every vendor webhook body of
 * {@code src/test/resources/webhooks/<cloud>/} and compares the canonical messages with the hand-written
 * expected outputs of {@code src/test/resources/golden/<cloud>/<fixture>.json}:
 * <ul>
 * <li>{@code <fixture>.json}: the JSON array of canonical messages ({@code []} for a skipped event), or
 *     {@code {"error": "text" | ["text", ...]}} for a body the route must refuse with a 400 whose message holds
 *     every text;</li>
 * <li>{@code <fixture>.vars.json} (optional): what the call carries besides the body:
 *     {@code {"query": {...}, "path": "...", "headers": {...}, "config": {...}}}, config being the route's
 *     settings ({@code BRIDGE_ROUTE_<ROUTE>_<NAME>} = value, given as name = value);</li>
 * <li>{@code _cases.json}: more bodies per cloud written for the test (settings, events and malformed bodies
 *     the fixtures lack): {@code [{"name", "body", "vars"?, "expect" | "error"}]}.</li>
 * </ul>
 * Numbers compare by value (1 equals 1.0): the hub receives the JSON text, where both mean the same.
 */
class ShippedTransformsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TRANSFORMS = Path.of("transforms");
    private static final Path WEBHOOKS = Path.of("src/test/resources/webhooks");
    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    /** Fixture folders whose route has another name. */
    private static final Map<String, String> ROUTE_OF_FOLDER = Map.of("iotc-bridge", "iotc");
    /** DPS registration id rule (docs/azure-protocol.md, section 2), to check the placeholder fixtures stay invalid. */
    private static final Pattern DPS_ID = Pattern.compile("^[a-zA-Z0-9-._:]*[a-zA-Z0-9-]+$");
    private static final int MAX_OUTPUTS = 100;

    /** One catalog per distinct route configuration; most calls use the one without settings. */
    private static final Map<Map<String, String>, JqTransformCatalog> CATALOGS = new HashMap<>();

    @AfterAll
    static void closeCatalogs() {
        CATALOGS.values().forEach(JqTransformCatalog::close);
    }

    static Stream<Arguments> fixtures() throws IOException {
        List<Arguments> all = new ArrayList<>();
        try (Stream<Path> folders = Files.list(WEBHOOKS)) {
            for (Path folder : folders.filter(Files::isDirectory).sorted().toList()) {
                try (Stream<Path> files = Files.list(folder)) {
                    files.filter(f -> f.toString().endsWith(".json") || f.toString().endsWith(".txt"))
                            .sorted()
                            .forEach(f -> all.add(Arguments.of(folder.getFileName() + "/" + f.getFileName())));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void fixtureGivesItsExpectedOutput(String fixture) throws IOException {
        Path body = WEBHOOKS.resolve(fixture);
        String folder = body.getParent().getFileName().toString();
        String name = baseName(body);
        Path golden = GOLDEN.resolve(folder).resolve(name + ".json");
        if (!Files.exists(golden)) {
            fail("fixture " + fixture + " has no expected output: write " + golden + " by hand from the vendor's documentation");
        }
        Path varsFile = GOLDEN.resolve(folder).resolve(name + ".vars.json");
        JsonNode vars = Files.exists(varsFile) ? JSON.readTree(varsFile.toFile()) : JSON.createObjectNode();
        check(fixture, route(folder), readBody(body), vars, JSON.readTree(golden.toFile()));
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> all = new ArrayList<>();
        try (Stream<Path> folders = Files.list(GOLDEN)) {
            for (Path folder : folders.filter(Files::isDirectory).sorted().toList()) {
                Path file = folder.resolve("_cases.json");
                if (Files.exists(file)) {
                    for (JsonNode c : JSON.readTree(file.toFile())) {
                        all.add(Arguments.of(folder.getFileName() + ": " + c.path("name").asText(), folder.getFileName().toString(), c));
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void caseGivesItsExpectedOutput(String title, String folder, JsonNode c) {
        JsonNode expected = c.has("expect") ? c.get("expect") : JSON.createObjectNode().set("error", c.get("error"));
        if (expected == null || expected.isNull()) {
            fail(title + ": a case needs \"expect\" or \"error\"");
        }
        check(title, route(folder), c.get("body"), c.path("vars"), expected);
    }

    @Test
    void everyCloudHasMalformedBodiesThatNameTheRouteAndWhatIsMissing() throws IOException {
        for (String folder : foldersOf(WEBHOOKS)) {
            Path file = GOLDEN.resolve(folder).resolve("_cases.json");
            assertTrue(Files.exists(file), "no " + file + " with malformed bodies");
            String route = route(folder);
            long named = 0;
            for (JsonNode c : JSON.readTree(file.toFile())) {
                if (c.has("error") && c.get("error").toString().contains(route + ": ")) {
                    named++;
                }
            }
            assertTrue(named >= 2, file + " needs at least two malformed bodies refused with a message that names the route ('"
                    + route + ": ...'), has " + named);
        }
    }

    @Test
    void everyExpectedOutputBelongsToAFixture() throws IOException {
        for (String folder : foldersOf(GOLDEN)) {
            try (Stream<Path> files = Files.list(GOLDEN.resolve(folder))) {
                for (Path f : files.toList()) {
                    String n = f.getFileName().toString();
                    if (n.startsWith("_")) {
                        continue;
                    }
                    String base = n.replaceFirst("(\\.vars)?\\.json$", "");
                    boolean found = Files.exists(WEBHOOKS.resolve(folder).resolve(base + ".json"))
                            || Files.exists(WEBHOOKS.resolve(folder).resolve(base + ".txt"));
                    assertTrue(found, f + " belongs to no fixture of " + WEBHOOKS.resolve(folder));
                }
            }
        }
    }

    /** The placeholder fixtures keep their documentation id, which the handler refuses; real ids pass the DPS rule. */
    @Test
    void placeholderIdsAreForwardedAsTheyAreForTheHandlerToRefuse() throws IOException {
        for (String folder : foldersOf(GOLDEN)) {
            try (Stream<Path> files = Files.list(GOLDEN.resolve(folder))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".json") && !p.toString().endsWith(".vars.json")
                        && !p.getFileName().toString().startsWith("_")).toList()) {
                    JsonNode golden = JSON.readTree(f.toFile());
                    if (!golden.isArray()) {
                        continue;
                    }
                    boolean placeholder = f.getFileName().toString().contains("placeholder");
                    for (JsonNode m : golden) {
                        String id = m.path("deviceId").asText();
                        assertEquals(!placeholder, DPS_ID.matcher(id).matches(), f + ": device id " + id);
                    }
                }
            }
        }
    }

    @Test
    void sigfoxAnswers204AndTheOtherRoutes200() {
        JqTransformCatalog catalog = catalog(Map.of());
        for (String route : catalog.routes()) {
            int expected = route.equals("sigfox") ? 204 : 200;
            assertEquals(expected, catalog.find(route).orElseThrow().successStatus(), route);
        }
    }

    @Test
    void everyShippedTransformLoads() {
        JqTransformCatalog catalog = catalog(Map.of());
        assertEquals(Set.of("chirpstack", "helium", "iotc", "kerlink", "loriot", "notehub", "particle", "sigfox", "thingpark", "ttn"),
                catalog.routes());
        for (String route : catalog.routes()) {
            assertTrue(catalog.find(route).orElseThrow() instanceof JqRouteTransform, route + " did not load: "
                    + catalog.find(route).orElseThrow());
        }
    }

    private static void check(String title, String route, JsonNode body, JsonNode vars, JsonNode expected) {
        RouteTransform transform = catalog(config(route, vars.path("config"))).find(route)
                .orElseThrow(() -> new AssertionError("no transform for route " + route));
        TransformVariables variables = new TransformVariables(strings(vars.path("query")), strings(vars.path("headers")),
                route, vars.path("path").asText(""));
        if (expected.isObject() && expected.has("error")) {
            BadInputException e = assertThrows(BadInputException.class, () -> transform.apply(body, variables, MAX_OUTPUTS),
                    title + ": expected a 400");
            assertEquals(400, e.status(), title);
            assertTrue(e.getMessage().contains("transform " + route), title + ": the message must name the route: " + e.getMessage());
            JsonNode texts = expected.get("error");
            for (JsonNode t : texts.isArray() ? texts : JSON.createArrayNode().add(texts)) {
                assertTrue(e.getMessage().contains(t.asText()), title + ": the message must contain \"" + t.asText() + "\": " + e.getMessage());
            }
            return;
        }
        List<JsonNode> outputs = transform.apply(body, variables, MAX_OUTPUTS);
        ArrayNode actual = JSON.createArrayNode().addAll(outputs);
        if (!expected.equals(NUMBERS_BY_VALUE, actual)) {
            fail(title + ":\nexpected " + expected + "\nactual   " + actual);
        }
    }

    /** Compares numbers by value (IntNode 1 = DoubleNode 1.0), everything else exactly. */
    private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    private static synchronized JqTransformCatalog catalog(Map<String, String> settings) {
        return CATALOGS.computeIfAbsent(settings, s -> JqTransformCatalog.load(TRANSFORMS, Settings.from(s)));
    }

    private static Map<String, String> config(String route, JsonNode config) {
        Map<String, String> settings = new TreeMap<>();
        config.fields().forEachRemaining(e -> settings.put(
                "BRIDGE_ROUTE_" + route.toUpperCase(Locale.ROOT) + "_" + e.getKey().toUpperCase(Locale.ROOT), e.getValue().asText()));
        return settings;
    }

    private static Map<String, String> strings(JsonNode object) {
        Map<String, String> map = new LinkedHashMap<>();
        object.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }

    private static String route(String folder) {
        return ROUTE_OF_FOLDER.getOrDefault(folder, folder);
    }

    private static String baseName(Path file) {
        return file.getFileName().toString().replaceFirst("\\.(json|txt)$", "");
    }

    /** A JSON body, or a form body (.txt, application/x-www-form-urlencoded) as the object of its fields. */
    private static JsonNode readBody(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            if (file.toString().endsWith(".json")) {
                return JSON.readTree(text);
            }
            ObjectNode fields = JSON.createObjectNode();
            for (String pair : text.strip().split("&")) {
                int eq = pair.indexOf('=');
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                fields.put(name, value);
            }
            return fields;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> foldersOf(Path root) throws IOException {
        try (Stream<Path> folders = Files.list(root)) {
            return folders.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
