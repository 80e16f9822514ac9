package dev.iotcbridge.queue;

import dev.iotcbridge.config.Secret;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A real Azurite queue service for the tests, from {@code tools/azurite} (installed with {@code npm ci} when missing),
 * in memory, on a free loopback port. One per test run, shared by every class that extends with it, and stopped at
 * the end of the run. Each test takes its own queue names from {@link #newQueueName()}, so tests do not see each
 * other's messages.
 */
public final class Azurite implements ParameterResolver {

    /** Azurite's well-known development account; its key is public and only valid for the emulator. */
    private static final String ACCOUNT = "devstoreaccount1";
    private static final String ACCOUNT_KEY =
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static final Pattern LISTENING = Pattern.compile("listens on https?://127\\.0\\.0\\.1:(\\d+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(8);
    private static final AtomicInteger QUEUES = new AtomicInteger();

    /** The running service: what tests get as a parameter. */
    public static final class Service implements ExtensionContext.Store.CloseableResource, AutoCloseable {

        private final Process process;
        private final int port;
        private final boolean https;

        private Service(Process process, int port, boolean https) {
            this.process = process;
            this.port = port;
            this.https = https;
        }

        public int port() {
            return port;
        }

        /** The queue service's URI, as an identity-based connection names it: {@code <scheme>://127.0.0.1:<port>/<account>}. */
        public String queueServiceUri() {
            return (https ? "https" : "http") + "://127.0.0.1:" + port + "/" + ACCOUNT;
        }

        /** The explicit connection string for this port ({@code UseDevelopmentStorage=true} means the fixed port 10001). */
        public Secret connectionString() {
            return Secret.of("DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + ACCOUNT_KEY
                    + ";QueueEndpoint=http://127.0.0.1:" + port + "/" + ACCOUNT + ";");
        }

        /** A queue name no other test uses. */
        public String newQueueName() {
            return "test-" + ProcessHandle.current().pid() + "-" + QUEUES.incrementAndGet();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Service.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.create(Azurite.class))
                .getOrComputeIfAbsent(Service.class, k -> start(List.of(), false), Service.class);
    }

    /**
     * A second Azurite of its own, over HTTPS with the given PKCS12 certificate, that also accepts Entra ID bearer
     * tokens ({@code --oauth basic}: it checks a token's issuer, audience and lifetime, not its signature). The caller
     * closes it.
     */
    public static Service startOAuth(Path pkcs12, String password) {
        return start(List.of("--oauth", "basic", "--cert", pkcs12.toString(), "--pwd", password), true);
    }

    private static Service start(List<String> extraArguments, boolean https) {
        Path tools = projectDir().resolve("tools/azurite");
        Path main = tools.resolve("node_modules/azurite/dist/src/queue/main.js");
        if (!Files.isRegularFile(main)) {
            install(tools);
        }
        try {
            List<String> command = new java.util.ArrayList<>(List.of("node", main.toString(),
                    "--inMemoryPersistence", "--queueHost", "127.0.0.1", "--queuePort", "0",
                    "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent"));
            command.addAll(extraArguments);
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            // stops Azurite even when the test JVM is ended early (the store closes it on a normal end)
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroy, "azurite-stop"));
            CompletableFuture<Integer> port = new CompletableFuture<>();
            Thread reader = new Thread(() -> readOutput(process, port), "azurite-output");
            reader.setDaemon(true);
            reader.start();
            try {
                return new Service(process, port.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS), https);
            } catch (TimeoutException | ExecutionException e) {
                process.destroyForcibly();
                throw new IllegalStateException("Azurite did not start within " + START_TIMEOUT.toSeconds() + " s: " + e.getMessage());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run 'node' for Azurite (durable-mode tests need Node.js 18 or later): "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting Azurite", e);
        }
    }

    /** Reads Azurite's output (so it never blocks on a full pipe) and reports the port it listens on. */
    private static void readOutput(Process process, CompletableFuture<Integer> port) {
        StringBuilder early = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!port.isDone()) {
                    early.append(line).append('\n');
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            }
        } catch (IOException e) {
            // the process ended
        }
        port.completeExceptionally(new IllegalStateException("Azurite exited before listening:\n" + early));
    }

    private static void install(Path tools) {
        List<String> command = List.of("npm", "ci", "--no-audit", "--no-fund", "--prefix", tools.toString());
        try {
            Process npm = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!npm.waitFor(INSTALL_TIMEOUT.toMinutes(), TimeUnit.MINUTES)) {
                npm.destroyForcibly();
                throw new IllegalStateException("'" + String.join(" ", command) + "' did not finish within "
                        + INSTALL_TIMEOUT.toMinutes() + " minutes");
            }
            if (npm.exitValue() != 0) {
                throw new IllegalStateException("'" + String.join(" ", command) + "' failed with exit code " + npm.exitValue()
                        + "; run it by hand to see why");
            }
        } catch (IOException e) {
            throw new IllegalStateException("durable-mode tests run against Azurite, installed with npm from "
                    + "tools/azurite, and 'npm' cannot be run here (" + e.getMessage() + "): install Node.js 18+ with npm, "
                    + "or run '" + String.join(" ", command) + "' once", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while installing Azurite", e);
        }
    }

    private static Path projectDir() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("tools/azurite")) && Files.isRegularFile(d.resolve("pom.xml"))) {
                return d;
            }
        }
        throw new IllegalStateException("no tools/azurite above " + dir);
    }
}
