package dev.iotcbridge.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The bridge under test: {@code java <flags> -jar iotc-webhook-bridge.jar serve --port P} as its own process, its
 * output in a log file, measured through /proc and jcmd.
 */
final class BridgeProcess implements AutoCloseable {

    final Process process;
    final int port;
    final long startedNanos;
    final Path log;

    private BridgeProcess(Process process, int port, long startedNanos, Path log) {
        this.process = process;
        this.port = port;
        this.startedNanos = startedNanos;
        this.log = log;
    }

    static BridgeProcess start(BenchOptions o, Map<String, String> settings, Path log) throws IOException {
        int port = freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(o.bridgeJvmFlags());
        cmd.add("-jar");
        cmd.add(o.jar().toAbsolutePath().toString());
        cmd.add("serve");
        cmd.add("--port");
        cmd.add(Integer.toString(port));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(o.workDir().toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("IOTC_") || k.startsWith("BRIDGE_"));
        pb.environment().putAll(settings);
        long started = System.nanoTime();
        Process p = pb.start();
        return new BridgeProcess(p, port, started, log);
    }

    long pid() {
        return process.pid();
    }

    /** Waits until the port accepts connections (or the process dies, or the time is up). */
    void awaitListening(long timeoutMillis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the bridge exited with " + process.exitValue() + "; see " + log);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                sleep(5);
            }
        }
        throw new IllegalStateException("the bridge did not listen on port " + port + " within " + timeoutMillis + " ms; see " + log);
    }

    double cpuSeconds() {
        return ProcStats.cpuSeconds(pid());
    }

    double rssMiB() {
        return ProcStats.rssMiB(pid());
    }

    double peakRssMiB() {
        return ProcStats.peakRssMiB(pid());
    }

    /** Runs a full GC in the bridge and returns the heap in use after it, in MiB (from {@code jcmd GC.heap_info}). */
    double heapAfterFullGcMiB() {
        Jcmd.run(pid(), "GC.run");
        return Jcmd.heapUsedMiB(pid());
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
