package dev.iotcbridge.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.testing.RecordingSender;
import dev.iotcbridge.transform.JqTransformCatalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Every shipped transform ({@code transforms/*.jq}) on mutations of the vendor fixtures (src/test/resources/webhooks,
 * and the bodies of src/test/resources/golden/{cloud}/_cases.json): the call gives validated canonical messages (or
 * none), or a 4xx that names the route; never a 5xx (a transform broken by an input, a budget blown by a small body),
 * never another exception, and every message it gives passes IoT Hub's rules, the sender's check and the queue.
 *
 * <p>Entry: {@link WebhookHandler#messages}, which parses, transforms and validates without sending. Input: a fixture
 * (first byte), route settings and a path as a sender might configure them, then a few {@link JsonMutator} edits.
 */
class ShippedTransformsFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path WEBHOOKS = Path.of("src/test/resources/webhooks");
    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    private static final Map<String, String> ROUTE_OF_FOLDER = Map.of("iotc-bridge", "iotc");
    /** Route settings a sender puts in the query (the query wins over app settings, which then change nothing). */
    private static final List<String> SETTINGS = List.of("payload_config", "raw_payload", "model_id", "event");
    private static final List<String> SETTING_VALUES = List.of("temp::int:16:little-endian hum::uint:8 door::bool:7",
            "a::uint:8 b::char:3 c::float:32 d:0:bool:7 e::int:4::3", "x::uint:64:little-endian", "bad", "t::float:64",
            "forward", "skip", "up", "join", "status", "ack", "dtmi:com:example:Sensor;1", "dtmi:com:Example;2", "");

    private record Fixture(String route, String name, JsonNode body, boolean form, Map<String, String> query, String path) {
    }

    private static final List<Fixture> FIXTURES = fixtures();
    private static final WebhookHandler HANDLER;

    static {
        Settings settings = Settings.from(Map.of());
        HANDLER = new WebhookHandler(settings, JqTransformCatalog.load(Path.of("transforms"), settings),
                new RecordingSender(), Runnable::run);
        for (Fixture f : FIXTURES) {
            outcome(request(f, f.body(), f.query(), f.path())); // warm every route once
        }
    }

    @FuzzTest
    void mutatedFixtures(byte[] data) {
        FuzzInput in = new FuzzInput(data);
        Fixture f = FIXTURES.get(in.below(FIXTURES.size()));
        Map<String, String> query = new HashMap<>(f.query());
        String path = f.path();
        int settings = in.below(4);
        for (int i = 0; i < settings; i++) {
            String name = in.oneOf(SETTINGS);
            query.put(name, in.bool() ? in.oneOf(SETTING_VALUES) : in.text(40));
        }
        if (in.oneIn(8)) {
            path = in.bool() ? in.oneOf(JsonMutator.STRINGS) : in.text(24);
        }
        JsonNode body = new JsonMutator(in).mutate(f.body().deepCopy(), in.below(6));
        WebhookRequest request = request(f, body, query, path);
        String shown = f.route() + " " + f.name() + " query " + query + " path '" + Inputs.visible(path) + "' body "
                + Inputs.visible(new String(request.body(), StandardCharsets.UTF_8));

        Watch watch = Watch.get().secrets(Map.of(), Map.of());
        watch.begin();
        Object first = outcome(request);
        if (first instanceof BadInputException e) {
            watch.see(e.getMessage());
            CallerText.check("the " + e.status(), e.getMessage(), shown);
            assertTrue(e.status() == 400 || e.status() == 413, "an input problem is a 400 (or 413): " + e.status() + "\n" + shown);
            assertTrue(namesTheRoute(e.getMessage(), f.route()), "the 400 does not say which route refused what: "
                    + e.getMessage() + "\ninput: " + shown);
        } else if (first instanceof BridgeException e) {
            fail("an input made route " + f.route() + " answer " + e.status() + ": " + e.getMessage() + "\ninput: " + shown);
        } else if (first instanceof RuntimeException e) {
            throw new AssertionError("the handler threw " + e + "\ninput: " + shown, e);
        } else {
            @SuppressWarnings("unchecked")
            List<DeviceMessage> messages = (List<DeviceMessage>) first;
            AcceptedMessages.check(f.route(), messages, shown);
        }
        // a transform is a function of its input: the same call again gives the same outcome (caches hold nothing wrong)
        assertEquals(describe(first), describe(outcome(request)), "the same call gave another outcome\ninput: " + shown);
        watch.end(shown);
    }

    /** Messages, or the exception: what one call gives. */
    private static Object outcome(WebhookRequest request) {
        try {
            return HANDLER.preview(request).messages();
        } catch (RuntimeException e) {
            return e;
        }
    }

    private static String describe(Object outcome) {
        if (outcome instanceof BridgeException e) {
            return e.status() + " " + e.getMessage();
        }
        if (outcome instanceof RuntimeException e) {
            return e.toString();
        }
        StringBuilder b = new StringBuilder();
        for (Object o : (List<?>) outcome) {
            DeviceMessage m = (DeviceMessage) o;
            b.append(m.deviceId()).append(' ').append(new String(m.body(), StandardCharsets.UTF_8)).append(' ')
                    .append(m.modelId()).append(m.creationTimeUtc()).append(m.component()).append(m.messageId())
                    .append(new java.util.TreeMap<>(m.properties())).append('\n');
        }
        return b.toString();
    }

    /**
     * Whether a refusal says whose it is: the transform's errors name the route ("transform ttn ...", "sigfox: ..."); the
     * body parser's concern the body before any route reads it.
     */
    static boolean namesTheRoute(String message, String route) {
        return message.contains("transform " + route) || message.startsWith(route + ":") || message.startsWith("body ")
                || message.startsWith("form body ");
    }

    private static WebhookRequest request(Fixture f, JsonNode body, Map<String, String> query, String path) {
        byte[] bytes;
        String type;
        if (f.form() && body.isObject()) {
            StringBuilder form = new StringBuilder();
            for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                form.append(form.length() == 0 ? "" : "&").append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8))
                        .append('=').append(URLEncoder.encode(e.getValue().isTextual() ? e.getValue().textValue()
                                : e.getValue().toString(), StandardCharsets.UTF_8));
            }
            bytes = form.toString().getBytes(StandardCharsets.UTF_8);
            type = "application/x-www-form-urlencoded";
        } else {
            try {
                bytes = JSON.writeValueAsBytes(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            type = "application/json";
        }
        return new WebhookRequest(f.route(), path, query, Map.of("content-type", type), bytes);
    }

    /** Every vendor fixture and every body of the golden cases, sorted, so that a corpus input always means the same. */
    private static List<Fixture> fixtures() {
        List<Fixture> all = new ArrayList<>();
        try (Stream<Path> folders = Files.list(WEBHOOKS)) {
            for (Path folder : folders.filter(Files::isDirectory).sorted().toList()) {
                String name = folder.getFileName().toString();
                String route = ROUTE_OF_FOLDER.getOrDefault(name, name);
                try (Stream<Path> files = Files.list(folder)) {
                    for (Path file : files.sorted().toList()) {
                        String fileName = file.getFileName().toString();
                        if (!fileName.endsWith(".json") && !fileName.endsWith(".txt")) {
                            continue;
                        }
                        String base = fileName.substring(0, fileName.lastIndexOf('.'));
                        JsonNode vars = readIfExists(GOLDEN.resolve(name).resolve(base + ".vars.json"));
                        String text = Files.readString(file, StandardCharsets.UTF_8);
                        boolean form = fileName.endsWith(".txt");
                        JsonNode body = form ? formFields(text) : JSON.readTree(text);
                        all.add(new Fixture(route, name + "/" + fileName, body, form, query(vars), path(vars)));
                    }
                }
                JsonNode cases = readIfExists(GOLDEN.resolve(name).resolve("_cases.json"));
                if (cases != null) {
                    for (JsonNode c : cases) {
                        all.add(new Fixture(route, name + "/_cases/" + c.path("name").asText(), c.get("body"), false,
                                query(c.get("vars")), path(c.get("vars"))));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    private static JsonNode readIfExists(Path file) throws IOException {
        return Files.exists(file) ? JSON.readTree(file.toFile()) : null;
    }

    /** The fixture's query and route settings, as query parameters (the query wins over settings). */
    private static Map<String, String> query(JsonNode vars) {
        Map<String, String> q = new LinkedHashMap<>();
        if (vars != null) {
            vars.path("config").fields().forEachRemaining(e -> q.put(e.getKey(), e.getValue().asText()));
            vars.path("query").fields().forEachRemaining(e -> q.put(e.getKey(), e.getValue().asText()));
        }
        return q;
    }

    private static String path(JsonNode vars) {
        return vars == null ? "" : vars.path("path").asText("");
    }

    private static ObjectNode formFields(String text) {
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        for (String pair : text.strip().split("&")) {
            int eq = pair.indexOf('=');
            fields.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                    eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return fields;
    }
}
