package dev.iotcbridge.function;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.net.EventLoops;
import dev.iotcbridge.server.LocalServer;
import dev.iotcbridge.testing.FakeTransforms;
import dev.iotcbridge.testing.RecordingSender;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Function's contract with the Functions host: every case goes once through the local server (over real HTTP) and
 * once through {@link FunctionsHostModel} (the host's and the Java worker's conversion, from their source) into the
 * Function, and both must give the same answer and put the same bytes at the hub. The transform echoes what it saw
 * (body, route, path, query, whether a key reached it), so any difference in what the adapters hand the handler shows.
 */
class FunctionsHostContractTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RecordingSender HUB = new RecordingSender();
    private static final FakeTransforms TRANSFORMS = new FakeTransforms()
            .route("echo", (body, vars) -> List.of(echo(body, vars.route(), vars.path(), vars.query(), vars.headers())))
            .route("sigfox", 204, (body, vars) -> List.of(echo(body, vars.route(), vars.path(), vars.query(), vars.headers())));
    private static ExecutorService executor;
    private static EventLoops loops;
    private static WebhookHandler handler;
    private static LocalServer server;

    @BeforeAll
    static void start() throws IOException {
        executor = Executors.newCachedThreadPool();
        loops = EventLoops.create(1);
        handler = new WebhookHandler(Settings.from(Map.of()), TRANSFORMS, HUB, executor);
        server = LocalServer.start("127.0.0.1", 0, handler, Optional.empty(), Settings.from(Map.of()).maxBodyBytes(),
                Optional.empty(), loops, executor);
    }

    @AfterAll
    static void stop() {
        server.close();
        loops.close();
        executor.shutdownNow();
    }

    private static JsonNode echo(JsonNode body, String route, String path, Map<String, String> query, Map<String, String> headers) {
        ObjectNode telemetry = JSON.createObjectNode();
        telemetry.put("route", route);
        telemetry.put("path", path);
        telemetry.set("query", JSON.valueToTree(new TreeMap<>(query)));
        telemetry.put("sawFunctionKey", headers.containsKey("x-functions-key") || query.containsKey("code"));
        telemetry.put("xTest", headers.getOrDefault("x-test", ""));
        telemetry.set("body", body);
        ObjectNode message = JSON.createObjectNode();
        message.put("deviceId", "echo-device");
        message.set("telemetry", telemetry);
        return message;
    }

    static Stream<FunctionsHostModel.Call> calls() throws IOException {
        String json = "application/json";
        StringBuilder big = new StringBuilder("{\"device\":\"big\",\"samples\":[");
        while (big.length() < 100 * 1024) {
            big.append("{\"t\":\"2026-11-27T10:00:00Z\",\"v\":21.5,\"note\":\"température\"},");
        }
        big.setLength(big.length() - 1);
        big.append("]}");
        byte[] particleForm = Files.readAllBytes(Path.of("src/test/resources/webhooks/particle/default-form-body.txt"));
        return Stream.of(
                call("/api/echo/dev-1", json, "{\"temp\": 21.5}"),
                call("/api/echo/dev-1", json, "{\"name\": \"Küche\", \"note\": \"22 °C \uD83C\uDF21\", \"jp\": \"温度\"}"),
                call("/api/echo/dev-1", json, big.toString()),
                call("/api/echo/3f002b", "application/x-www-form-urlencoded", particleForm),
                call("/api/echo", json, "{\"temp\": 1}"),
                call("/api/echo/", json, "{\"temp\": 1}"),
                call("/api/echo/a%20b/c+d/%C3%A9", json, "{\"temp\": 1}"),
                call("/api/echo", json, ""),
                call("/api/echo", "application/x-www-form-urlencoded", ""),
                // names the caller sets must not become $path, and the key never reaches the transform
                call("/api/echo?code=k3y&path=evil&route=other", json, "{\"path\": \"evil-too\", \"temp\": 1}"),
                call("/api/echo?event=up&event=down&raw=&model_id=dtmi%3Acom%3Aexample%3AS%3B1", json, "{\"temp\": 1}"),
                call("/api/echo", json, "{\"temp\": 1}", "x-functions-key", "k3y", "X-Test", "kept"),
                call("/api/echo", "application/json; charset=utf-8", "{\"temp\": 1}"),
                call("/api/echo", "application/json; charset=ISO-8859-1", "{\"temp\": 1}"),
                call("/api/echo", "application/json; charset=iso-8859-1", "{\"name\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1)),
                call("/api/echo", json, new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, '(', '"', '}'}),
                call("/api/echo", json, "\uFEFF{\"bom\": true}"),
                call("/api/echo", "application/octet-stream", new byte[] {1, 2, 3}),
                call("/api/echo", "text/plain", "hello"),
                call("/api/echo", null, "{\"temp\": 1}"),
                call("/api/echo", json, "not json"),
                call("/api/nosuchroute", json, "{}"),
                call("/api/sigfox/1FD48BE", json, "{\"device\": \"1FD48BE\", \"data\": \"0a\"}"));
    }

    private static FunctionsHostModel.Call call(String target, String contentType, String body, String... headers) {
        return call(target, contentType, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    private static FunctionsHostModel.Call call(String target, String contentType, byte[] body, String... headers) {
        List<Map.Entry<String, String>> h = new ArrayList<>();
        if (contentType != null) {
            h.add(Map.entry("Content-Type", contentType));
        }
        for (int i = 0; i < headers.length; i += 2) {
            h.add(Map.entry(headers[i], headers[i + 1]));
        }
        return new FunctionsHostModel.Call("POST", target, List.copyOf(h), body);
    }

    @ParameterizedTest
    @MethodSource("calls")
    void theFunctionUnderTheHostAnswersAsTheLocalServer(FunctionsHostModel.Call call) throws IOException {
        HUB.delivered.clear();
        FunctionsHostModel.Answer local = local(call);
        List<String> atHubLocally = atHub();

        HUB.delivered.clear();
        Logger quiet = Logger.getAnonymousLogger();
        quiet.setUseParentHandlers(false);
        FunctionsHostModel host = new FunctionsHostModel(new WebhookFunction(() -> handler), "webhook");
        FunctionsHostModel.Answer azure = host.invoke(call, FunctionsHostModel.context(quiet));
        List<String> atHubOnAzure = atHub();

        assertEquals(local.status(), azure.status(), "status; local answered " + new String(local.body(), StandardCharsets.UTF_8)
                + ", the Function " + new String(azure.body(), StandardCharsets.UTF_8));
        assertEquals(new String(local.body(), StandardCharsets.UTF_8), new String(azure.body(), StandardCharsets.UTF_8), "answer");
        assertEquals(local.headers().get("content-type"), lowerCase(azure.headers()).get("content-type"), "content type");
        assertEquals(atHubLocally, atHubOnAzure, "bytes at the hub");
    }

    private static Map<String, String> lowerCase(Map<String, String> headers) {
        Map<String, String> lower = new TreeMap<>();
        headers.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
        return lower;
    }

    private static List<String> atHub() {
        List<String> seen = new ArrayList<>();
        for (DeviceMessage m : HUB.delivered) {
            seen.add(m.deviceId() + " " + new String(m.body(), StandardCharsets.UTF_8) + " " + new TreeMap<>(m.properties()));
        }
        return seen;
    }

    /** The call as raw HTTP/1.1 to the local server, so that nothing rewrites its target or body on the way. */
    private static FunctionsHostModel.Answer local(FunctionsHostModel.Call call) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            StringBuilder h = new StringBuilder(call.method() + " " + call.target() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
            for (Map.Entry<String, String> e : call.headers()) {
                h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
            }
            h.append("Content-Length: ").append(call.body().length).append("\r\n\r\n");
            head.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
            head.write(call.body());
            OutputStream out = socket.getOutputStream();
            out.write(head.toByteArray());
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] raw = in.readAllBytes();
            return parse(raw);
        }
    }

    private static FunctionsHostModel.Answer parse(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
        return new FunctionsHostModel.Answer(status, headers, body);
    }
}
