package dev.iotcbridge.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.faults.SasOracle;
import dev.iotcbridge.faults.SecretWitness;
import dev.iotcbridge.server.LocalBridge;
import dev.iotcbridge.sim.DeviceView;
import dev.iotcbridge.sim.SimMessage;
import dev.iotcbridge.sim.Simulator;
import dev.iotcbridge.sim.SimulatorOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadInfo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile inputs (issue 6) through the HTTP entry point: the local server on loopback, real HTTP, raw sockets where
 * an HTTP client cannot say it. Every case gets the status a sender can act on and a body that names the problem
 * (asserted on its words); after every case a normal webhook still succeeds; at the end the heap after GC and the
 * thread count are back near where they started, and no transform is still running.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecretWitness witness = SecretWitness.shared();
    /** The Things Stack's downlink API key (sent as X-Downlink-Apikey) and Helium's downlink URL with its key. */
    private static final String TTS_APIKEY = "NNSXS.HOSTILETESTAPIKEY7Q4WQZ2XK.SECRETPARTDEADBEEFCAFE0123456789";
    private static final String HELIUM_DOWNLINK = "https://console.helium.com/api/v1/down/3f2c6f8e-hostile/Zk9vYmFyU2VjcmV0S2V5";
    private static final int MAX_MESSAGES = 100;

    @TempDir
    static Path transforms;
    private static Simulator sim;
    private static LocalBridge bridge;
    private static String functionKey;
    private static HttpClient http;
    private static Instant started;
    private static final Set<String> deviceIdsSent = new LinkedHashSet<>();
    private static long heapBefore;
    private static int threadsBefore;
    private static int healthy;

    // --- the bridge under attack -----------------------------------------------------------------------------

    @BeforeAll
    static void start() throws Exception {
        started = Instant.now();
        for (String shipped : List.of("iotc", "ttn", "helium")) {
            Files.copy(Path.of("transforms", shipped + ".jq"), transforms.resolve(shipped + ".jq"));
        }
        Map<String, String> operatorsTransforms = Map.ofEntries(
                // budgets: runs forever, recursion without end, explodes its output, doubles a value, one huge step
                Map.entry("forever", "reduce range(1e15) as $i (0; . + 1) | {deviceId: \"d\", telemetry: {n: .}}"),
                Map.entry("recurse", "def f: 1 + f; f"),
                Map.entry("explode", "{deviceId: \"d\", telemetry: {all: [range(1e9)]}}"),
                Map.entry("doubling", "{deviceId: \"d\", telemetry: {s: (reduce range(40) as $i (\"x\"; . + .))}}"),
                Map.entry("hugestep", "{deviceId: \"d\", telemetry: {s: (\"x\" * 3e9)}}"),
                // wrong types and shapes of output
                Map.entry("number", "42"),
                Map.entry("text", "\"hello\""),
                Map.entry("telemetryarray", "{deviceId: \"hostile-out-1\", telemetry: [1, 2]}"),
                Map.entry("idnumber", "{deviceId: 7, telemetry: {}}"),
                Map.entry("unknownfield", "{deviceId: \"hostile-out-1\", telemetry: {}, temperature: 3}"),
                Map.entry("badtime", "{deviceId: \"hostile-out-1\", telemetry: {}, timestamp: \"yesterday\"}"),
                Map.entry("badproperty", "{deviceId: \"hostile-out-1\", telemetry: {}, properties: {site: \"north wing\"}}"),
                Map.entry("badmessageid", "{deviceId: \"hostile-out-1\", telemetry: {}, messageId: \"a b\"}"),
                Map.entry("badmodel", "{deviceId: \"hostile-out-1\", telemetry: {}, modelId: \"Thermostat\"}"),
                Map.entry("nonfinite", "{deviceId: \"hostile-out-1\", telemetry: {x: (1e308 * 10)}}"),
                Map.entry("deepoutput", "{deviceId: \"hostile-out-1\", telemetry: {x: (reduce range(10000) as $i (1; [.]))}}"),
                Map.entry("manystream", "range(" + (MAX_MESSAGES + 1) + ") | {deviceId: \"hostile-many-\\(.)\", telemetry: {n: .}}"),
                Map.entry("manyarray", "[range(" + (MAX_MESSAGES + 1) + ") | {deviceId: \"hostile-many-\\(.)\", telemetry: {n: .}}]"),
                Map.entry("fanout", ".[] | {deviceId: \"hostile-fan-\\(.)\", telemetry: {n: .}}"),
                Map.entry("syntax", "{deviceId: .device, telemetry: }"),
                Map.entry("undefined", "{deviceId: \"d\", telemetry: {x: (. | nosuchfunction)}}"),
                // what a transform is given: no secret of the call or of the sender's own API
                Map.entry("echo", "{deviceId: \"hostile-echo-1\", telemetry: {headers: $headers, query: $query}}"),
                // header and query names only: jackson-jq 1.6.2 turns an error message holding '{' into "N/A"
                Map.entry("echoerror", "error(\"headers: \\($headers | keys | join(\",\")) query: \\($query | keys | join(\",\"))\")"));
        for (Map.Entry<String, String> t : operatorsTransforms.entrySet()) {
            Files.writeString(transforms.resolve(t.getKey() + ".jq"), "# test-only transform\n" + t.getValue() + "\n");
        }

        sim = Simulator.start(SimulatorOptions.builder().retryAfterSeconds(0).telemetryPrinter(witness::see).build());
        byte[] key = new byte[24];
        new SecureRandom().nextBytes(key);
        functionKey = HexFormat.of().formatHex(key);
        witness.secret("the hostile suite's group key", sim.groupKey().reveal());
        witness.secret("the hostile suite's function key", functionKey);
        witness.secret("The Things Stack's X-Downlink-Apikey", TTS_APIKEY);
        witness.secret("Helium's downlink URL", HELIUM_DOWNLINK);
        witness.secret("the key part of Helium's downlink URL", "Zk9vYmFyU2VjcmV0S2V5");
        bridge = LocalBridge.start(Map.of(
                "IOTC_ID_SCOPE", sim.idScope(),
                "IOTC_GROUP_KEY", sim.groupKey().reveal(),
                "IOTC_DPS_HOST", sim.dpsHost(),
                "BRIDGE_ALLOW_HTTP", "true",
                "BRIDGE_PORT", "0",
                "BRIDGE_FUNCTION_KEY", functionKey,
                "BRIDGE_REQUEST_BUDGET_MS", "2000",
                "BRIDGE_MAX_MESSAGES_PER_CALL", Integer.toString(MAX_MESSAGES),
                "BRIDGE_TRANSFORMS_DIR", transforms.toString()), witness.console());
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

        // warm up what stays for the life of the process (clients, caches, compiled paths), then take the baseline
        for (int i = 0; i < 3; i++) {
            assertHealthy();
        }
        heapBefore = heapAfterGc();
        threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount() - registrationThreads() - testClientThreads();
    }

    @AfterAll
    static void stop() {
        if (bridge != null) {
            bridge.close();
        }
        if (sim != null) {
            Set<String> ids = new LinkedHashSet<>(deviceIdsSent);
            sim.devices().forEach(d -> ids.add(d.deviceId()));
            SasOracle.witnessDevices(witness, sim.groupKey().reveal(), sim.idScope(), sim.hubHosts(), ids,
                    started.getEpochSecond() - 1, Instant.now().getEpochSecond() + 1, 3600);
            sim.close();
        }
        List<String> leaks = witness.leaks();
        System.out.println("secret hygiene after the hostile suite: " + witness.logRecords() + " log records, " + witness.responses()
                + " responses, " + (witness.seenChars() >> 10) + " KB seen; " + witness.secretsKnown() + " secrets looked for; "
                + leaks.size() + " found");
        assertTrue(leaks.isEmpty(), "secrets leaked into logs or responses:\n" + String.join("\n", leaks));
    }

    // --- requests --------------------------------------------------------------------------------------------

    record Answer(int status, String body) {
    }

    private static Answer post(String path, String contentType, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.port() + path))
                .timeout(Duration.ofSeconds(30))
                .header("x-functions-key", functionKey)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b.build());
    }

    private static Answer send(HttpRequest request) throws Exception {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        witness.seeResponse(r.statusCode(), r.headers().map(), r.body());
        return new Answer(r.statusCode(), r.body());
    }

    private static Answer json(String route, String body) throws Exception {
        return post("/api/" + route, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    private static Answer json(String route, byte[] body) throws Exception {
        return post("/api/" + route, "application/json", body);
    }

    private static Answer raw(String head, byte[] body, boolean chunked, boolean closeOutput) throws Exception {
        RawHttp.Answer a = RawHttp.exchange(bridge.port(), head, body, chunked, closeOutput);
        witness.seeResponse(a.status(), Map.of(), a.body());
        return new Answer(a.status(), a.body());
    }

    private static String rawHead(String target, String... headers) {
        StringBuilder b = new StringBuilder("POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + bridge.port()
                + "\r\nx-functions-key: " + functionKey);
        for (String h : headers) {
            b.append("\r\n").append(h);
        }
        return b.toString();
    }

    /** A body in the reference bridge's format (the iotc route). */
    private static String iotc(String deviceIdJson, String measurements) {
        return "{\"device\": {\"deviceId\": " + deviceIdJson + "}, \"measurements\": " + measurements + "}";
    }

    private static String quoted(String deviceId) {
        try {
            return JSON.writeValueAsString(deviceId);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Answer device(String deviceId) throws Exception {
        deviceIdsSent.add(deviceId);
        return json("iotc", iotc(quoted(deviceId), "{\"t\": 1}"));
    }

    private static void assertHealthy() throws Exception {
        Answer a = json("iotc", iotc("\"hostile-healthy-1\"", "{\"n\": " + (++healthy) + "}"));
        assertEquals(200, a.status(), "a normal webhook still succeeds: " + a.body());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static String nested(int levels, String open, String close, String inner) {
        return open.repeat(levels) + inner + close.repeat(levels);
    }

    /** A valid iotc body of exactly {@code size} bytes (padded with spaces inside the JSON). */
    private static byte[] iotcOfSize(int size) {
        String body = iotc("\"hostile-size-1\"", "{\"t\": 1}");
        return bytes(body.substring(0, body.length() - 1) + " ".repeat(size - body.length()) + "}");
    }

    // --- the matrix ------------------------------------------------------------------------------------------

    /** One hostile input, the status it must get, and words its answer must contain (case-insensitive). */
    record Case(String group, String name, Callable<Answer> call, int status, List<String> words) {
        static Case of(String group, String name, Callable<Answer> call, int status, String... words) {
            return new Case(group, name, call, status, List.of(words));
        }
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        byte[] tenMegabytes = new byte[10 * 1024 * 1024];
        java.util.Arrays.fill(tenMegabytes, (byte) ' ');

        // sizes
        c.add(Case.of("size", "empty body", () -> json("iotc", new byte[0]), 400, "body is empty"));
        c.add(Case.of("size", "256 KB + 1 byte", () -> json("iotc", iotcOfSize(256 * 1024 + 1)), 413,
                "larger than the limit of 262144 bytes"));
        c.add(Case.of("size", "exactly 256 KB is accepted", () -> json("iotc", iotcOfSize(256 * 1024)), 200, "\"forwarded\":1"));
        c.add(Case.of("size", "10 MB with its Content-Length (raw)", () -> raw(rawHead("/api/iotc",
                "Content-Type: application/json", "Content-Length: " + tenMegabytes.length), tenMegabytes, false, false),
                413, "larger than the limit"));
        c.add(Case.of("size", "10 MB chunked, no length (raw)", () -> raw(rawHead("/api/iotc",
                "Content-Type: application/json", "Transfer-Encoding: chunked"), tenMegabytes, true, false),
                413, "larger than the limit"));
        c.add(Case.of("size", "a small chunked body is accepted (raw)", () -> raw(rawHead("/api/iotc",
                "Content-Type: application/json", "Transfer-Encoding: chunked"),
                bytes(iotc("\"hostile-chunked-1\"", "{\"t\": 1}")), true, false), 200, "\"forwarded\":1"));
        c.add(Case.of("size", "Content-Length longer than the body, then the client stops (raw)", () -> raw(rawHead("/api/iotc",
                "Content-Type: application/json", "Content-Length: 500"), bytes("{\"device\": {\"devi"), false, true),
                400, "the request body ended before the length its Content-Length announced"));

        // nesting
        c.add(Case.of("nesting", "10,000 nested arrays", () -> json("iotc", nested(10_000, "[", "]", "1")), 400,
                "nesting", "64 levels"));
        c.add(Case.of("nesting", "10,000 nested objects", () -> json("iotc", nested(10_000, "{\"a\":", "}", "1")), 400,
                "nesting", "64 levels"));
        c.add(Case.of("nesting", "65 levels inside measurements", () -> json("iotc",
                iotc("\"hostile-deep-1\"", nested(64, "{\"a\":", "}", "1"))), 400, "nesting"));
        c.add(Case.of("nesting", "60 levels are accepted", () -> json("iotc",
                iotc("\"hostile-deep-1\"", nested(59, "{\"a\":", "}", "1"))), 200, "\"forwarded\":1"));

        // encodings
        c.add(Case.of("encoding", "invalid UTF-8 (0xC3 0x28) in a string", () -> json("iotc", concat(
                bytes(iotc("\"hostile-utf8-1\"", "{\"s\": \"")), new byte[] {(byte) 0xC3, 0x28}, bytes("\"}}"))),
                400, "UTF-8"));
        c.add(Case.of("encoding", "overlong UTF-8 (0xC0 0xAF)", () -> json("iotc", concat(
                bytes(iotc("\"hostile-utf8-1\"", "{\"s\": \"")), new byte[] {(byte) 0xC0, (byte) 0xAF}, bytes("\"}}"))),
                400, "UTF-8"));
        c.add(Case.of("encoding", "UTF-8 sequence cut short before the quote", () -> json("iotc", concat(
                bytes(iotc("\"hostile-utf8-1\"", "{\"s\": \"")), new byte[] {(byte) 0xE2, (byte) 0x82}, bytes("\"}}"))),
                400, "UTF-8"));
        c.add(Case.of("encoding", "Latin-1 bytes announced as charset=iso-8859-1", () -> post("/api/iotc",
                "application/json; charset=iso-8859-1", concat(bytes(iotc("\"hostile-utf8-1\"", "{\"s\": \"caf")),
                        new byte[] {(byte) 0xE9}, bytes("\"}}"))), 400, "UTF-8"));
        c.add(Case.of("encoding", "invalid UTF-8 in a form body", () -> post("/api/iotc", "application/x-www-form-urlencoded",
                concat(bytes("device="), new byte[] {(byte) 0xFF, (byte) 0xFE})), 400, "form body is not valid UTF-8"));
        c.add(Case.of("encoding", "raw control character in a string", () -> json("iotc", concat(
                bytes(iotc("\"hostile-utf8-1\"", "{\"s\": \"a")), new byte[] {0x01}, bytes("\"}}"))), 400,
                "not valid JSON", "CTRL-CHAR"));
        c.add(Case.of("encoding", "UTF-8 byte order mark before the JSON is accepted", () -> json("iotc", concat(
                new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, bytes(iotc("\"hostile-utf8-1\"", "{\"t\": 1}")))),
                200, "\"forwarded\":1"));
        c.add(Case.of("encoding", "trailing content after the JSON", () -> json("iotc",
                iotc("\"hostile-utf8-1\"", "{\"t\": 1}") + " {\"again\": true}"), 400, "not valid JSON", "trailing"));

        // content types
        c.add(Case.of("content type", "missing", () -> post("/api/iotc", null, bytes(iotc("\"a\"", "{}"))), 415,
                "no Content-Type"));
        c.add(Case.of("content type", "text/plain", () -> post("/api/iotc", "text/plain", bytes(iotc("\"a\"", "{}"))), 415,
                "text/plain is not supported"));
        c.add(Case.of("content type", "application/xml", () -> post("/api/iotc", "application/xml",
                bytes("<device id=\"a\"/>")), 415, "application/xml is not supported"));
        c.add(Case.of("content type", "multipart/form-data", () -> post("/api/iotc", "multipart/form-data; boundary=x",
                bytes("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n")), 415,
                "multipart/form-data is not supported"));
        c.add(Case.of("content type", "empty header value (raw)", () -> raw(rawHead("/api/iotc", "Content-Type: ",
                "Content-Length: 2"), bytes("{}"), false, false), 415, "not supported"));
        c.add(Case.of("content type", "upper-case APPLICATION/JSON is JSON", () -> post("/api/iotc", "APPLICATION/JSON",
                bytes(iotc("\"hostile-ct-1\"", "{\"t\": 1}"))), 200, "\"forwarded\":1"));
        c.add(Case.of("content type", "a form body the iotc transform cannot map", () -> post("/api/iotc",
                "application/x-www-form-urlencoded", bytes("deviceId=a&t=1")), 400, "iotc: no device id"));

        // numbers
        c.add(Case.of("numbers", "1e400", () -> json("iotc", iotc("\"hostile-num-1\"", "{\"x\": 1e400}")), 400, "telemetry.x is 1E+400", "beyond the range of a double"));
        c.add(Case.of("numbers", "-1e400", () -> json("iotc", iotc("\"hostile-num-1\"", "{\"x\": -1e400}")), 400, "-1E+400", "beyond the range of a double"));
        c.add(Case.of("numbers", "NaN literal", () -> json("iotc", iotc("\"hostile-num-1\"", "{\"x\": NaN}")), 400,
                "not valid JSON", "NaN"));
        c.add(Case.of("numbers", "Infinity literal", () -> json("iotc", iotc("\"hostile-num-1\"", "{\"x\": Infinity}")), 400,
                "not valid JSON", "Infinity"));
        c.add(Case.of("numbers", "-Infinity literal", () -> json("iotc", iotc("\"hostile-num-1\"", "{\"x\": -Infinity}")), 400,
                "not valid JSON", "Infinity"));
        c.add(Case.of("numbers", "2,000-digit integer", () -> json("iotc", iotc("\"hostile-num-1\"",
                "{\"x\": 1" + "0".repeat(1999) + "}")), 400, "number", "length"));
        c.add(Case.of("numbers", "a 400-digit integer", () -> json("iotc", iotc("\"hostile-num-1\"",
                "{\"x\": 1" + "0".repeat(399) + "}")), 400, "beyond the range of a double"));
        c.add(Case.of("numbers", "1e-400 is a tiny number, accepted", () -> json("iotc",
                iotc("\"hostile-num-1\"", "{\"x\": 1e-400}")), 200, "\"forwarded\":1"));

        // arrays and keys
        c.add(Case.of("arrays", "10,000-element array in the telemetry is forwarded", () -> json("iotc",
                iotc("\"hostile-array-1\"", "{\"xs\": [" + "1,".repeat(9_999) + "1]}")), 200, "\"forwarded\":1"));
        c.add(Case.of("arrays", "10,000-element array as the body", () -> json("iotc", "[" + "1,".repeat(9_999) + "1]"),
                400, "iotc: the body must be a JSON object", "array"));
        c.add(Case.of("arrays", "10,000-element array fanned out to 10,000 messages", () -> json("fanout",
                "[" + "1,".repeat(9_999) + "1]"), 400, "more than 100 messages", "at most 100"));
        c.add(Case.of("keys", "duplicate top-level key", () -> json("iotc",
                "{\"device\": {\"deviceId\": \"a\"}, \"device\": {\"deviceId\": \"b\"}, \"measurements\": {}}"), 400,
                "Duplicate field 'device'"));
        c.add(Case.of("keys", "duplicate key in the telemetry", () -> json("iotc",
                iotc("\"hostile-keys-1\"", "{\"t\": 1, \"t\": 2}")), 400, "Duplicate field 't'"));
        c.add(Case.of("keys", "keys differing only in case are two keys", () -> json("iotc",
                iotc("\"hostile-keys-1\"", "{\"t\": 1, \"T\": 2}")), 200, "\"forwarded\":1"));

        // device ids
        String idRule = "is not a valid device id";
        for (String[] bad : new String[][] {
                {"slash", "a/b"}, {"dot-dot", ".."}, {"path traversal", "../../etc/passwd"}, {"percent-encoded NUL", "a%00"},
                {"NUL character", "a\u0000b"}, {"space", "a b"}, {"leading space", " sensor"}, {"trailing dot", "sensor."},
                {"Latin letter with accent", "sensör"}, {"CJK", "温度計"}, {"emoji", "sensor-\uD83D\uDE00"},
                {"129 characters", "a".repeat(129)}, {"empty", ""}, {"line break", "a\nb"}, {"backslash", "a\\b"}}) {
            c.add(Case.of("device id", bad[0], () -> device(bad[1]), 400, idRule));
        }
        c.add(Case.of("device id", "128 characters is the longest accepted", () -> device("b".repeat(128)), 200,
                "\"forwarded\":1"));
        c.add(Case.of("device id", "every allowed punctuation", () -> device("hostile-a:b.c_d-e"), 200, "\"forwarded\":1"));
        c.add(Case.of("device id", "a number", () -> json("iotc", iotc("42", "{}")), 400,
                "iotc: device.deviceId must be a string, got number"));

        // routes, methods, keys
        c.add(Case.of("route", "unknown route", () -> json("nosuchcloud", "{}"), 404, "no route 'nosuchcloud'",
                "the routes are:", "iotc"));
        c.add(Case.of("route", "encoded path traversal to a transform file (raw)", () -> raw(rawHead(
                "/api/..%2Ftransforms%2Fiotc", "Content-Type: application/json", "Content-Length: 2"), bytes("{}"), false, false),
                404, "no route"));
        c.add(Case.of("route", "encoded NUL in the route (raw)", () -> raw(rawHead("/api/iotc%00",
                "Content-Type: application/json", "Content-Length: 2"), bytes("{}"), false, false), 404, "no route"));
        c.add(Case.of("route", "GET instead of POST", () -> send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + bridge.port() + "/api/iotc")).header("x-functions-key", functionKey).GET().build()),
                405, "POSTed"));
        c.add(Case.of("function key", "missing", () -> send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + bridge.port() + "/api/iotc")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(iotc("\"a\"", "{}"))).build()), 401, "function key"));
        c.add(Case.of("function key", "wrong, same length", () -> send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + bridge.port() + "/api/iotc")).header("Content-Type", "application/json")
                .header("x-functions-key", "0".repeat(functionKey.length()))
                .POST(HttpRequest.BodyPublishers.ofString(iotc("\"a\"", "{}"))).build()), 401, "function key"));
        c.add(Case.of("function key", "the right key's first half", () -> send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + bridge.port() + "/api/iotc?code=" + functionKey.substring(0, 24)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(iotc("\"a\"", "{}"))).build()), 401, "function key"));
        c.add(Case.of("function key", "the right key as ?code= is accepted", () -> send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + bridge.port() + "/api/iotc?code=" + functionKey))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(iotc("\"hostile-code-1\"", "{}"))).build()), 200, "\"forwarded\":1"));

        // the operator's transforms: budgets (500, the operator must fix it), wrong outputs (400, naming the rule)
        c.add(Case.of("transform", "runs forever", () -> json("forever", "{}"), 500, "transform forever",
                "was stopped", "budget"));
        c.add(Case.of("transform", "recursion without end", () -> json("recurse", "{}"), 500, "recursed too deeply"));
        c.add(Case.of("transform", "explodes its output ([range(1e9)])", () -> json("explode", "{}"), 500, "was stopped", "budget"));
        c.add(Case.of("transform", "doubles a string 40 times", () -> json("doubling", "{}"), 500,
                "was stopped", "memory budget"));
        c.add(Case.of("transform", "one step larger than the heap (\"x\" * 3e9)", () -> json("hugestep", "{}"), 500,
                "was stopped", "more memory than the process has"));
        c.add(Case.of("transform", "outputs a number", () -> json("number", "{}"), 400, "output is a number"));
        c.add(Case.of("transform", "outputs a string", () -> json("text", "{}"), 400, "output is a string"));
        c.add(Case.of("transform", "telemetry is an array", () -> json("telemetryarray", "{}"), 400,
                "telemetry must be a JSON object, not an array"));
        c.add(Case.of("transform", "deviceId is a number", () -> json("idnumber", "{}"), 400, "deviceId must be a string, not a number"));
        c.add(Case.of("transform", "unknown field", () -> json("unknownfield", "{}"), 400, "unknown field 'temperature'"));
        c.add(Case.of("transform", "timestamp that is not ISO-8601", () -> json("badtime", "{}"), 400,
                "timestamp 'yesterday' is not an ISO-8601"));
        c.add(Case.of("transform", "property value with a space", () -> json("badproperty", "{}"), 400, "property 'site'"));
        c.add(Case.of("transform", "messageId with a space", () -> json("badmessageid", "{}"), 400, "messageId 'a b'"));
        c.add(Case.of("transform", "modelId that is not a DTMI", () -> json("badmodel", "{}"), 400, "is not a DTMI"));
        c.add(Case.of("transform", "telemetry with an infinite number", () -> json("nonfinite", "{}"), 400,
                "telemetry.x is Infinity", "JSON cannot carry"));
        c.add(Case.of("transform", "telemetry nested 10,000 levels", () -> json("deepoutput", "{}"), 400,
                "telemetry nests deeper than 64 levels"));
        c.add(Case.of("transform", "101 messages as a stream", () -> json("manystream", "{}"), 400,
                "more than 100 messages", "at most 100"));
        c.add(Case.of("transform", "101 messages in one array", () -> json("manyarray", "{}"), 400,
                "produced 101 messages", "at most 100"));
        c.add(Case.of("transform", "does not compile", () -> json("syntax", "{}"), 500, "syntax.jq"));
        c.add(Case.of("transform", "calls a function that does not exist", () -> json("undefined", "{}"), 500,
                "is broken", "nosuchfunction"));
        return c;
    }

    @Test
    @Order(1)
    void theMatrixHasAtLeastSixtyCases() {
        assertTrue(cases().size() >= 60, "cases: " + cases().size());
    }

    @TestFactory
    @Order(2)
    Stream<DynamicTest> eachHostileInputGetsAClearAnswerAndTheProcessStaysHealthy() {
        return cases().stream().map(c -> dynamicTest(c.group() + ": " + c.name(), () -> {
            Answer a = c.call().call();
            assertEquals(c.status(), a.status(), c.name() + " -> " + a.body());
            String body = a.body().toLowerCase(Locale.ROOT);
            for (String word : c.words()) {
                assertTrue(body.contains(word.toLowerCase(Locale.ROOT)), c.name() + ": the answer names '" + word + "': " + a.body());
            }
            if (a.status() != 200) {
                assertFalse(body.contains("exception") || body.contains("\tat "), "no stack trace or class names: " + a.body());
            }
            assertHealthy();
        }));
    }

    /**
     * {@code Sensor-1} and {@code sensor-1}: two device keys (the derivation runs over the exact bytes) but one DPS
     * registration (DPS ids are case-insensitive), so the second spelling can never send: DPS answers it with the
     * device it knows, whose hub checks tokens against the first spelling's key. Decision: what a user expects is to
     * be told, once, with a 400 that names both spellings (a retry cannot help, the sender's configuration must
     * change); the first spelling keeps working; nothing of the second spelling reaches the hub, and no token is
     * minted for a hub device with the wrong key.
     */
    @Test
    @Order(3)
    void twoSpellingsOfOneDeviceIdAreOneRegistrationAndTheSecondIsRefusedByName() throws Exception {
        assertEquals(200, device("Hostile-Case-1").status());
        Answer lower = device("hostile-case-1");
        assertEquals(400, lower.status(), lower.body());
        assertTrue(lower.body().contains("hostile-case-1") && lower.body().contains("Hostile-Case-1")
                && lower.body().contains("case"), lower.body());
        Answer again = device("hostile-case-1");
        assertEquals(400, again.status(), "answered from memory, the same way: " + again.body());
        assertEquals(200, device("Hostile-Case-1").status(), "the registered spelling keeps working");
        assertEquals(2, sim.messagesAcceptedFrom("Hostile-Case-1"));
        assertEquals(List.of("Hostile-Case-1"), sim.devices().stream().map(DeviceView::deviceId)
                .filter(id -> id.equalsIgnoreCase("hostile-case-1")).toList(), "one device in IoT Central");
        assertHealthy();
    }

    private static Answer postWith(String path, String contentType, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.port() + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (!path.contains("code=")) {
            b.header("x-functions-key", functionKey);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    private static String fixture(String path) throws IOException {
        return Files.readString(Path.of("src/test/resources/webhooks").resolve(path));
    }

    /** The senders' own secrets: TTS's downlink API key header, Helium's downlink URL, the function key. */
    @Test
    @Order(4)
    void webhookSecretsReachNoTransformNoHubAndNoAnswer() throws Exception {
        String ttn = fixture("ttn/uplink-docs-data-formats.json");
        Answer up = postWith("/api/ttn", "application/json", ttn, "X-Downlink-Apikey", TTS_APIKEY,
                "X-Downlink-Push", "https://eu1.cloud.thethings.network/api/v3/as/applications/app1/webhooks/iotc/devices/dev1/down/push");
        assertEquals(200, up.status(), up.body());
        Answer broken = postWith("/api/ttn", "application/json", "{\"end_device_ids\": {\"device_id\": \"dev1\"}, "
                + "\"uplink_message\": \"" + TTS_APIKEY + "-not-an-object\"}", "X-Downlink-Apikey", TTS_APIKEY);
        assertEquals(400, broken.status(), broken.body());
        assertTrue(broken.body().contains("uplink_message must be an object"), broken.body());

        Answer echo = postWith("/api/echo?code=" + functionKey + "&site=north", "application/json", "{}",
                "X-Downlink-Apikey", TTS_APIKEY, "Authorization", "Bearer " + TTS_APIKEY);
        assertEquals(200, echo.status(), echo.body());
        SimMessage echoed = sim.messages().stream().filter(m -> m.deviceId().equals("hostile-echo-1")).reduce((a, b) -> b)
                .orElseThrow();
        JsonNode seen = JSON.readTree(echoed.body());
        assertEquals("north", seen.at("/query/site").asText(), "the transform sees the query: " + seen);
        assertEquals("application/json", seen.at("/headers/content-type").asText(), "and the headers: " + seen);
        assertTrue(seen.at("/query/code").isMissingNode(), "not the function key: " + seen);
        assertTrue(seen.at("/headers/x-downlink-apikey").isMissingNode() && seen.at("/headers/authorization").isMissingNode(),
                "not the sender's API key: " + seen);
        Answer echoError = postWith("/api/echoerror?code=" + functionKey, "application/json", "{}",
                "X-Downlink-Apikey", TTS_APIKEY);
        assertEquals(400, echoError.status(), echoError.body());
        assertTrue(echoError.body().contains("headers: content-length,content-type,"), echoError.body());
        assertFalse(echoError.body().toLowerCase(Locale.ROOT).contains("apikey") || echoError.body().contains("code"),
                echoError.body());

        String helium = fixture("helium/uplink-docs-2023-ms.json");
        String withUrl = helium.substring(0, helium.lastIndexOf('}')) + ", \"downlink_url\": \"" + HELIUM_DOWNLINK + "\"}";
        Answer heliumUp = postWith("/api/helium", "application/json", withUrl);
        assertEquals(200, heliumUp.status(), heliumUp.body());
        SimMessage heliumMessage = sim.messages().stream().filter(m -> m.deviceId().equals("1c29fbd1d2084e21"))
                .reduce((a, b) -> b).orElseThrow();
        assertFalse((heliumMessage.body() + heliumMessage.properties()).contains("Zk9vYmFyU2VjcmV0S2V5"),
                "the downlink URL is not forwarded: " + heliumMessage);
        Answer heliumBroken = postWith("/api/helium", "application/json",
                withUrl.replace("\"payload\": \"SGVsbG8sIHdvcmxkIQ==\"", "\"payload\": {\"url\": \"" + HELIUM_DOWNLINK + "\"}"));
        assertEquals(400, heliumBroken.status(), heliumBroken.body());
        assertTrue(heliumBroken.body().contains("payload must be a base64 string"), heliumBroken.body());
        deviceIdsSent.add("dev1");
        deviceIdsSent.add("0004a30b001c0530");
        assertHealthy();
        // the answers and log lines themselves are checked for these secrets by the witness, at the end of the suite
    }

    @Test
    @Order(9)
    void afterEverythingTheHeapAndTheThreadsAreBackAndNoTransformIsStillRunning() throws Exception {
        assertHealthy();
        long heapAfter = heapAfterGc();
        long grownMb = (heapAfter - heapBefore) >> 20;
        System.out.println("hostile suite: heap after GC " + (heapBefore >> 20) + " MB at start, " + (heapAfter >> 20)
                + " MB at the end; threads " + threadsBefore + " at start");
        assertTrue(grownMb < 64, "heap after GC grew by " + grownMb + " MB");

        var threads = ManagementFactory.getThreadMXBean();
        long settleUntil = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (threads.getThreadCount() - registrationThreads() - testClientThreads() > threadsBefore + 8
                && System.nanoTime() < settleUntil) {
            Thread.sleep(200); // idle pool threads end on their own; bounded wait
        }
        int threadsAfter = threads.getThreadCount() - registrationThreads() - testClientThreads();
        System.out.println("hostile suite: threads " + threadsAfter + " at the end");
        List<String> stillTransforming = new ArrayList<>();
        for (ThreadInfo t : threads.dumpAllThreads(false, false)) {
            for (StackTraceElement frame : t.getStackTrace()) {
                if (frame.getClassName().startsWith("net.thisptr.jackson.jq")) {
                    stillTransforming.add(t.getThreadName());
                    break;
                }
            }
        }
        assertEquals(List.of(), stillTransforming, "threads still inside a transform");
        Map<String, Long> byName = java.util.Arrays.stream(threads.dumpAllThreads(false, false))
                .collect(java.util.stream.Collectors.groupingBy(t -> t.getThreadName().replaceAll("[0-9]+", "#"),
                        java.util.TreeMap::new, java.util.stream.Collectors.counting()));
        assertTrue(registrationThreads() <= 64, "DPS request threads stay within the DPS client's 64 requests on the wire");
        assertTrue(threadsAfter <= threadsBefore + 8, "threads: " + threadsBefore + " at start, " + threadsAfter
                + " at the end: " + byName);
    }

    /**
     * DPS request threads: the DPS client's OkHttp dispatcher, a thread per request on the wire (at most 64; waits hold
     * none), idle ones ending after 60 s; bounded by design, so counted apart from the rest.
     */
    private static int registrationThreads() {
        return threadsNamed("iotc-dps-http-");
    }

    /** This test's own HTTP client's workers (idle for 60 s before they end): not the bridge's. */
    private static int testClientThreads() {
        return threadsNamed("HttpClient-");
    }

    private static int threadsNamed(String prefix) {
        return (int) java.util.Arrays.stream(ManagementFactory.getThreadMXBean().dumpAllThreads(false, false))
                .filter(t -> t.getThreadName().startsWith(prefix)).count();
    }

    private static long heapAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
