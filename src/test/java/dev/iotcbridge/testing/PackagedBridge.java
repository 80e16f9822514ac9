package dev.iotcbridge.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged bridge, {@code java <flags> -jar target/iotc-webhook-bridge.jar serve --port P}, as its own process
 * with exactly the given settings as its environment (the test JVM's IOTC_, BRIDGE_ and identity variables are not
 * passed on), its output in a log file. For integration tests (*IT) that need what only a separate process has:
 * environment variables read by libraries, JVM-wide TLS trust or name resolution.
 */
public final class PackagedBridge implements AutoCloseable {

    private static final Path JAR = Path.of(System.getProperty("bridgeJar", "target/iotc-webhook-bridge.jar"));
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final Path log;
    private final int port;

    private PackagedBridge(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    public static PackagedBridge start(List<String> jvmFlags, Map<String, String> environment, Path log) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmFlags);
        command.addAll(List.of("-jar", JAR.toAbsolutePath().toString(), "serve", "--port", Integer.toString(port)));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("IOTC_") || k.startsWith("BRIDGE_")
                || k.startsWith("IDENTITY_") || k.startsWith("MSI_") || k.startsWith("AZURE_"));
        pb.environment().putAll(environment);
        return new PackagedBridge(pb.start(), log, port);
    }

    public Process process() {
        return process;
    }

    /** Waits until {@code GET /api/health} answers 200; fails with the log if the process ends first. */
    public void awaitListening(Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new AssertionError("the bridge exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the bridge did not listen on " + port + " within " + deadline.toSeconds() + " s:\n" + log());
    }

    public HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public String log() {
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
