package dev.iotcbridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The IoT Central simulator (DPS + two hubs) in its own process ({@code java -jar iotc-webhook-bridge.jar simulate}),
 * so that the bridge's CPU and memory are measured without it. Driven through its {@code /sim/} control API and,
 * for the exact delivery check, its standard input ({@code message-ids FILE}).
 */
final class SimProcess implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final BufferedReader out;
    private final PrintStream in;
    private final Map<String, String> settings;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private SimProcess(Process process, BufferedReader out, PrintStream in, Map<String, String> settings) {
        this.process = process;
        this.out = out;
        this.in = in;
        this.settings = settings;
    }

    static SimProcess start(BenchOptions o, Path log) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(BridgeProcess.javaBinary());
        cmd.addAll(List.of("-XX:+UseSerialGC", "-Xmx1g", "-XX:+UseStringDeduplication"));
        cmd.addAll(List.of("-jar", o.jar().toAbsolutePath().toString(), "simulate", "--retry-after",
                Integer.toString(o.dpsRetryAfterSeconds()),
                "--keep-message-ids", Integer.toString(o.keepMessageIds())));
        Process p = new ProcessBuilder(cmd).directory(o.workDir().toFile()).redirectError(log.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = 0; i < 50; i++) {
            String line = out.readLine();
            if (line == null) {
                throw new IllegalStateException("the simulator exited before it was ready; see " + log);
            }
            if (line.equals("ready")) {
                return new SimProcess(p, out, new PrintStream(p.getOutputStream(), true, StandardCharsets.UTF_8), settings);
            }
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                settings.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("the simulator did not say it was ready");
    }

    /** The settings a bridge needs to forward to this simulator. */
    Map<String, String> bridgeSettings() {
        return new HashMap<>(settings);
    }

    String dpsHost() {
        return settings.get("IOTC_DPS_HOST");
    }

    String idScope() {
        return settings.get("IOTC_ID_SCOPE");
    }

    String groupKey() {
        return settings.get("IOTC_GROUP_KEY");
    }

    long pid() {
        return process.pid();
    }

    /** A control API call; fails the benchmark on an answer other than 2xx. */
    JsonNode control(String method, String pathAndQuery) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + dpsHost() + "/sim/" + pathAndQuery))
                    .timeout(Duration.ofSeconds(60)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException("simulator control " + method + " /sim/" + pathAndQuery + " gave "
                        + r.statusCode() + ": " + r.body());
            }
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException("simulator control API: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Every message id the hubs accepted since the last counter reset, with how many times. */
    Map<String, Integer> messageIds(Path file) throws IOException {
        in.println("message-ids " + file.toAbsolutePath());
        String answer = out.readLine();
        if (!"done".equals(answer)) {
            throw new IllegalStateException("the simulator answered '" + answer + "' to message-ids");
        }
        Map<String, Integer> ids = new HashMap<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = r.readLine()) != null; ) {
                int sp = line.lastIndexOf(' ');
                ids.put(line.substring(0, sp), Integer.parseInt(line.substring(sp + 1)));
            }
        }
        Files.deleteIfExists(file);
        return ids;
    }

    @Override
    public void close() {
        in.println("stop");
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
