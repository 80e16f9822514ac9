package dev.iotcbridge.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * The load benchmark of issue 5, a main class driven by {@code scripts/bench.sh} (never part of {@code mvn verify}:
 * it only measures and prints, it fails nothing). It starts the simulator ({@code simulate}) and the bridge
 * ({@code serve}) as two separate processes, so the bridge's CPU and memory are its own, and drives the bridge over
 * loopback from this process. See docs/performance.md for the figures and the commands.
 */
public final class BenchMain {

    private final BenchOptions o;
    private int phase;

    private BenchMain(BenchOptions o) {
        this.o = o;
    }

    public static void main(String[] args) {
        BenchOptions o;
        try {
            o = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.print(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        try {
            Files.createDirectories(o.workDir());
            if (!Files.isRegularFile(o.jar())) {
                throw new IllegalStateException(o.jar() + " not found: build first with mvn -q package -DskipTests");
            }
            new BenchMain(o).run();
            System.exit(0);
        } catch (Exception e) {
            System.err.println("benchmark stopped: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    private void run() throws Exception {
        machine();
        switch (o.mode()) {
            case "throughput" -> throughput(o.concurrency(), o.hubLatencyMs());
            case "cold" -> cold();
            case "outage" -> outage();
            case "startup" -> startup();
            case "heap" -> heap();
            case "failures" -> failures();
            case "floor" -> floor(o.concurrency());
            case "all" -> {
                throughput(32, 0);
                throughput(128, 20);
                throughput(1024, 20);
                cold();
                startup();
                heap();
                failures();
            }
            default -> throw new IllegalArgumentException(o.mode());
        }
    }

    // --- the rig: simulator and bridge processes ---------------------------------------------------------------

    private final class Rig implements AutoCloseable {
        final SimProcess sim;
        final BridgeProcess bridge;

        Rig(boolean benchTransforms) throws IOException {
            Path transforms = BenchWorkspace.prepare(o, Path.of("transforms"));
            sim = SimProcess.start(o, o.workDir().resolve("simulator.log"));
            Map<String, String> settings = sim.bridgeSettings();
            if (benchTransforms) {
                settings.put("BRIDGE_TRANSFORMS_DIR", transforms.toAbsolutePath().toString());
            }
            BridgeProcess b;
            try {
                b = BridgeProcess.start(withLogging(o), settings, o.workDir().resolve("bridge.log"));
                b.awaitListening(30_000);
            } catch (RuntimeException | IOException e) {
                sim.close();
                throw e;
            }
            bridge = b;
            System.out.printf("bridge pid %d on port %d: java %s; simulator pid %d (DPS %s, Retry-After %d)%n",
                    bridge.pid(), bridge.port, String.join(" ", flags()), sim.pid(), sim.dpsHost(), o.dpsRetryAfterSeconds());
        }

        InetSocketAddress target() {
            return new InetSocketAddress("127.0.0.1", bridge.port);
        }

        @Override
        public void close() {
            bridge.close();
            sim.close();
        }
    }

    private List<String> flags() {
        List<String> f = new ArrayList<>(o.bridgeJvmFlags());
        if (o.quietBridgeLog()) {
            f.add("-Djava.util.logging.config.file=" + o.workDir().resolve("quiet-logging.properties").toAbsolutePath());
        }
        return f;
    }

    private BenchOptions withLogging(BenchOptions b) {
        return b.withBridgeJvmFlags(flags());
    }

    /** One message to each of devices [0, D), C at a time, retrying 503/429 as a webhook sender would. */
    private void provision(Rig rig, String devicePrefix, int devices) throws IOException {
        long t0 = System.nanoTime();
        IotcRequests requests = new IotcRequests(rig.bridge.port, devicePrefix, 0, devices, "prov" + (++phase) + "-");
        LoadGenerator.Result r = LoadGenerator.run(rig.target(),
                LoadGenerator.Plan.counted(Math.min(devices, 64), devices, 900, 50), requests);
        System.out.printf("provisioned %d devices in %.1f s (%s)%n", r.count2xx(), (System.nanoTime() - t0) / 1e9,
                statuses(r.statuses));
        if (r.count2xx() != devices) {
            System.out.println("WARNING: not every device was provisioned; see target/bench/bridge.log");
        }
    }

    // --- throughput -----------------------------------------------------------------------------------------------

    private void throughput(int concurrency, int hubLatencyMs) throws Exception {
        System.out.printf("%n== throughput: %d devices, C = %d, %.0f s measured after %.0f s warm-up, hub answers after %d ms%n",
                o.devices(), concurrency, o.seconds(), o.warmupSeconds(), hubLatencyMs);
        try (Rig rig = new Rig(true)) {
            provision(rig, "bench-dev-", o.devices());
            rig.sim.control("POST", "hubs/a/latency?ms=" + hubLatencyMs);
            rig.sim.control("POST", "hubs/b/latency?ms=" + hubLatencyMs);
            rig.sim.control("POST", "counters/reset");
            String prefix = "t" + (++phase) + "-";
            IotcRequests requests = new IotcRequests(rig.bridge.port, "bench-dev-", 0, o.devices(), prefix);
            CpuWindow cpu = new CpuWindow(rig.bridge.pid(), rig.sim.pid());
            LoadGenerator.Result r = LoadGenerator.run(rig.target(),
                    LoadGenerator.Plan.timed(concurrency, o.warmupSeconds(), o.seconds()), requests, cpu);
            printLoad(r, cpu, rig);
            deliveryCheck(rig, r, prefix);
        }
    }

    private void printLoad(LoadGenerator.Result r, CpuWindow cpu, Rig rig) {
        System.out.printf("forwarded: %,d in %.1f s = %,.0f msg/s%n", r.completedInWindow, r.windowSeconds, r.perSecond());
        System.out.printf("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f%n", r.percentileMillis(0.5),
                r.percentileMillis(0.9), r.percentileMillis(0.99), r.percentileMillis(1.0));
        System.out.printf("answers (whole run): %s; non-2xx %d, connection errors %d, timeouts %d, unfinished %d; "
                + "requests re-sent after the server closed an idle connection %d%n",
                statuses(r.statuses), r.non2xx(), r.connectionErrors, r.timeouts, r.unfinished, r.reconnects);
        double n = r.completedInWindow;
        System.out.printf("CPU in the window: bridge %.2f s = %.1f µs/msg; simulator %.2f s = %.1f µs/msg; "
                        + "load generator %.2f s = %.1f µs/msg; other processes %.2f s; machine idle %.2f s%n",
                cpu.bridge, cpu.bridge / n * 1e6, cpu.sim, cpu.sim / n * 1e6, cpu.self, cpu.self / n * 1e6,
                Math.max(0, cpu.machineBusy - cpu.bridge - cpu.sim - cpu.self), cpu.machineIdle);
        System.out.printf("bridge RSS: %.0f MiB now, %.0f MiB peak (VmHWM)%n", rig.bridge.rssMiB(), rig.bridge.peakRssMiB());
    }

    /** Every 2xx of the run seen exactly once at the hub, by message id. */
    private void deliveryCheck(Rig rig, LoadGenerator.Result r, String prefix) throws IOException {
        delivery(rig, r, prefix);
    }

    /** What became of a run's messages at the hub, by message id. */
    private record Delivery(long ok, long once, long missing, long duplicated, long extra) {
        boolean exact() {
            return once == ok && missing == 0 && duplicated == 0;
        }
    }

    private Delivery delivery(Rig rig, LoadGenerator.Result r, String prefix) throws IOException {
        Map<String, Integer> ids = rig.sim.messageIds(o.workDir().resolve("message-ids.txt"));
        long once = 0;
        long missing = 0;
        long duplicated = 0;
        for (int seq = r.ok.nextSetBit(0); seq >= 0; seq = r.ok.nextSetBit(seq + 1)) {
            int n = ids.getOrDefault(prefix + seq, 0);
            if (n == 1) {
                once++;
            } else if (n == 0) {
                missing++;
            } else {
                duplicated++;
            }
        }
        long extra = ids.keySet().stream().filter(k -> k.startsWith(prefix))
                .filter(k -> !r.ok.get(Integer.parseInt(k.substring(prefix.length())))).count();
        long ok = r.ok.cardinality();
        System.out.printf("delivery: %,d answered 2xx; at the hub exactly once %,d, missing %d, more than once %d; "
                + "accepted by the hub without a 2xx answer %d -> %s%n", ok, once, missing, duplicated, extra,
                once == ok ? "EXACT" : "NOT EXACT");
        return new Delivery(ok, once, missing, duplicated, extra);
    }

    /** CPU seconds of the bridge, the simulator, this process and the machine between the window's open and close. */
    private static final class CpuWindow implements LoadGenerator.Window {
        private final long bridgePid;
        private final long simPid;
        private double b0;
        private double s0;
        private double self0;
        private double[] m0;
        double bridge;
        double sim;
        double self;
        double machineBusy;
        double machineIdle;

        CpuWindow(long bridgePid, long simPid) {
            this.bridgePid = bridgePid;
            this.simPid = simPid;
        }

        @Override
        public void opened() {
            b0 = ProcStats.cpuSeconds(bridgePid);
            s0 = ProcStats.cpuSeconds(simPid);
            self0 = ProcStats.cpuSeconds(ProcessHandle.current().pid());
            m0 = ProcStats.machineSeconds();
        }

        @Override
        public void closed() {
            bridge = ProcStats.cpuSeconds(bridgePid) - b0;
            sim = ProcStats.cpuSeconds(simPid) - s0;
            self = ProcStats.cpuSeconds(ProcessHandle.current().pid()) - self0;
            double[] m1 = ProcStats.machineSeconds();
            machineBusy = m1[0] - m0[0];
            machineIdle = (m1[1] - m0[1]) - machineBusy;
        }
    }

    /** An HTTP layer alone (FloorServer, NettyProxyFloor), driven like the bridge: what it costs before any bridge work. */
    private void floor(int concurrency) throws Exception {
        System.out.printf("%n== floor: " + o.floor() + " alone, answering 200, C = %d, %.0f s after %.0f s warm-up%n",
                concurrency, o.seconds(), o.warmupSeconds());
        int port = BridgeProcess.freePort();
        String cp = o.jar().toAbsolutePath() + java.io.File.pathSeparator + Path.of("target/test-classes").toAbsolutePath();
        String kind = o.floor();
        if (kind.equals("jetty")) {
            // Jetty is a test dependency (through WireMock): scripts/bench.sh writes its class path to target/cp.txt
            cp += java.io.File.pathSeparator + Files.readString(Path.of("target/cp.txt")).trim();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(BridgeProcess.javaBinary());
        cmd.addAll(flags());
        Process up = null;
        if (kind.startsWith("proxy-")) {
            int upPort = BridgeProcess.freePort();
            up = new ProcessBuilder(BridgeProcess.javaBinary(), "-XX:+UseSerialGC", "-cp", cp, "dev.iotcbridge.bench.FloorServer",
                    Integer.toString(upPort), "jdk-direct").redirectErrorStream(true)
                    .redirectOutput(o.workDir().resolve("upstream.log").toFile()).start();
            cmd.addAll(List.of("-cp", cp, "dev.iotcbridge.bench.NettyProxyFloor", Integer.toString(port), Integer.toString(upPort),
                    kind.substring(6).replaceAll("-[0-9]+$", ""), kind.replaceAll("^.*-", "")));
        } else {
            cmd.addAll(List.of("-cp", cp, "dev.iotcbridge.bench.FloorServer", Integer.toString(port), kind));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(o.workDir().resolve("floor.log").toFile()).start();
        Process upstream = up;
        try {
            for (int i = 0; i < 3000; i++) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    break;
                } catch (IOException notYet) {
                    BridgeProcess.sleep(10);
                }
            }
            CpuWindow cpu = new CpuWindow(p.pid(), p.pid());
            LoadGenerator.Result r = LoadGenerator.run(new InetSocketAddress("127.0.0.1", port),
                    LoadGenerator.Plan.timed(concurrency, o.warmupSeconds(), o.seconds()),
                    new IotcRequests(port, "bench-dev-", 0, o.devices(), "x-"), cpu);
            System.out.printf("answered: %,d in %.1f s = %,.0f req/s; latency ms p50 %.2f p99 %.2f; %s%n", r.completedInWindow,
                    r.windowSeconds, r.perSecond(), r.percentileMillis(0.5), r.percentileMillis(0.99), statuses(r.statuses));
            System.out.printf("CPU in the window: server %.2f s = %.1f µs/req; load generator %.2f s = %.1f µs/req; other processes %.2f s%n",
                    cpu.bridge, cpu.bridge / r.completedInWindow * 1e6, cpu.self, cpu.self / r.completedInWindow * 1e6,
                    Math.max(0, cpu.machineBusy - cpu.bridge - cpu.self));
        } finally {
            p.destroy();
            if (upstream != null) {
                upstream.destroy();
            }
        }
    }

    // --- cold path ------------------------------------------------------------------------------------------------

    private void cold() throws Exception {
        System.out.printf("%n== cold path: first messages of devices new to DPS and to the bridge; DPS asks Retry-After "
                + "%d s%n", o.dpsRetryAfterSeconds());
        try (Rig rig = new Rig(true)) {
            DpsTimer dps = new DpsTimer(rig.sim);
            // warm both sides (connections, JIT, class loading) on devices of their own
            int warm = o.dpsRetryAfterSeconds() == 0 ? 20 : 3;
            for (int i = 0; i < warm; i++) {
                dps.register(IotcRequests.deviceId("warm-dps-", i));
            }
            LoadGenerator.run(rig.target(), LoadGenerator.Plan.counted(1, warm, 60, 20),
                    new IotcRequests(rig.bridge.port, "warm-bridge-", 0, warm, "w-"));
            // one at a time: with DPS's Retry-After each takes its seconds, so fewer samples then
            int k = o.dpsRetryAfterSeconds() == 0 ? 50 : 5;
            double[] own = new double[k];
            for (int i = 0; i < k; i++) {
                own[i] = dps.register(IotcRequests.deviceId("direct-", i)) / 1e6;
            }
            Arrays.sort(own);
            LoadGenerator.Result one = LoadGenerator.run(rig.target(), LoadGenerator.Plan.counted(1, k, 120, 1),
                    new IotcRequests(rig.bridge.port, "cold1-", 0, k, "c1-"));
            System.out.printf("DPS's own answer time (PUT register + polls until assigned, Retry-After %d s), %d devices: "
                    + "p50 %.2f ms, p90 %.2f ms%n", o.dpsRetryAfterSeconds(), k, own[k / 2], own[(int) (k * 0.9)]);
            System.out.printf("bridge, first message of a new device, one at a time, %d devices: p50 %.2f ms, p90 %.2f ms, "
                    + "max %.2f ms (%s) -> p50 %.2f ms over DPS's own time%n", k, one.percentileMillis(0.5),
                    one.percentileMillis(0.9), one.percentileMillis(1.0), statuses(one.statuses),
                    one.percentileMillis(0.5) - own[k / 2]);
            for (int n : o.deviceCounts()) {
                burst(rig, n);
            }
        }
    }

    /**
     * {@code n} new devices send their first message at once, one connection each; a sender retries 503 and 429 after
     * the Retry-After it was given (1 s without one), as a cloud that retries does, up to 50 attempts.
     */
    private void burst(Rig rig, int n) throws IOException {
        rig.sim.control("POST", "counters/reset");
        String prefix = "b" + n + "-" + (++phase) + "-";
        LoadGenerator.Result r = LoadGenerator.run(rig.target(), LoadGenerator.Plan.counted(n, n, 600, 50),
                new IotcRequests(rig.bridge.port, "burst" + n + "-" + phase + "-", 0, n, prefix));
        var c = rig.sim.control("GET", "counters");
        long registrations = c.path("registrationsReceived").asLong();
        long firstOk = r.firstStatuses.entrySet().stream().filter(e -> e.getKey() / 100 == 2)
                .mapToLong(Map.Entry::getValue).sum();
        System.out.printf("%d new devices at once: %d answered 2xx on their first call (first answers: %s); all %s after "
                        + "%.1f s (final answers: %s; %d retries, %d re-sent on a new connection, %d unfinished); "
                        + "DPS registrations %d (at most %d per device, at most %d in flight)%n", n, firstOk,
                statuses(r.firstStatuses), r.count2xx() == n ? "delivered" : "answered", r.windowSeconds,
                statuses(r.statuses), r.retries, r.reconnects, r.unfinished, registrations,
                c.path("maxRegistrationsPerDevice").asInt(), c.path("maxRegistrationsInFlight").asInt());
        delivery(rig, r, prefix);
    }

    // --- fleet outage ----------------------------------------------------------------------------------------------

    /**
     * N devices send steadily through the bridge, all on hub A; then hub A is down for everyone for O seconds while
     * DPS goes on assigning it (the simulator's outage control, docs/simulator.md), and comes back. Senders retry 503
     * and 429 after the Retry-After they were given. Reported: DPS registrations per minute during the outage, in total
     * and per device, the time from the hub's return until every message is delivered, and what was lost or
     * duplicated.
     */
    private void outage() throws Exception {
        int n = o.devices();
        int seconds = o.outageSeconds();
        int interval = o.sendIntervalSeconds();
        int before = Math.max(2 * interval, 20);
        System.out.printf("%n== fleet outage: %d devices, one message every ~%d s each; hub A down for everyone for %d s "
                + "(%s) while DPS still assigns it; DPS asks Retry-After %d s%n", n, interval, seconds,
                o.outageAnswer().equals("503") ? "every send answered 503" : "connections refused", o.dpsRetryAfterSeconds());
        try (Rig rig = new Rig(true)) {
            rig.sim.control("POST", "dps/assign?hub=a");
            provision(rig, "fleet-", n);
            rig.sim.control("POST", "counters/reset");
            String prefix = "o" + (++phase) + "-";
            IotcRequests requests = new IotcRequests(rig.bridge.port, "fleet-", 0, n, prefix);
            // senders retry for as long as it takes; the run stops at the latest 10 minutes after the hub is back
            LoadGenerator.Plan plan = LoadGenerator.Plan.paced(n, before + seconds, before + seconds + 600, interval, 1000);
            var load = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                java.util.concurrent.Future<LoadGenerator.Result> running = load.submit(
                        () -> LoadGenerator.run(rig.target(), plan, requests));
                long t0 = System.nanoTime();
                sleepUntil(t0, before);
                Map<String, Integer> perDeviceBefore = registrationsPerDevice(rig);
                long registrationsBefore = rig.sim.control("GET", "counters").path("registrationsReceived").asLong();
                rig.sim.control("POST", "hubs/a/outage?answer=" + o.outageAnswer());
                long down = System.nanoTime();
                List<Long> perMinute = new ArrayList<>();
                long mark = registrationsBefore;
                for (int minute = 1; minute * 60 <= seconds; minute++) {
                    sleepUntil(down, minute * 60);
                    long now = rig.sim.control("GET", "counters").path("registrationsReceived").asLong();
                    perMinute.add(now - mark);
                    mark = now;
                }
                sleepUntil(down, seconds);
                long registrationsDuring = rig.sim.control("GET", "counters").path("registrationsReceived").asLong()
                        - registrationsBefore;
                Map<String, Integer> perDeviceAfter = registrationsPerDevice(rig);
                rig.sim.control("POST", "hubs/a/restore");
                long back = System.nanoTime();
                LoadGenerator.Result r = running.get();
                int maxPerDevice = 0;
                for (Map.Entry<String, Integer> e : perDeviceAfter.entrySet()) {
                    maxPerDevice = Math.max(maxPerDevice, e.getValue() - perDeviceBefore.getOrDefault(e.getKey(), 0));
                }
                var c = rig.sim.control("GET", "counters");
                System.out.printf("outage: DPS registrations %d in %d s = %.1f per minute%s; at most %d for one device "
                                + "(%.2f per device on average)%n", registrationsDuring, seconds, registrationsDuring * 60.0 / seconds,
                        perMinute.isEmpty() ? "" : " (minute by minute: " + perMinute + ")", maxPerDevice,
                        registrationsDuring / (double) n);
                System.out.printf("whole run: %d messages sent, %d answered 2xx (first answers: %s; final: %s; %d retries, "
                                + "%d unfinished); DPS registrations %d, at most %d per device%n", r.issued, r.count2xx(),
                        statuses(r.firstStatuses), statuses(r.statuses), r.retries, r.unfinished,
                        c.path("registrationsReceived").asLong(), c.path("maxRegistrationsPerDevice").asInt());
                System.out.printf("hub back -> every message answered: %.1f s%n",
                        Math.max(0, r.lastCompletionNanos - back) / 1e9);
                Delivery d = delivery(rig, r, prefix);
                long lost = (r.issued - r.count2xx()) + d.missing();
                System.out.printf("lost (never answered 2xx, or 2xx and not at the hub): %d; duplicated at the hub: %d -> %s%n",
                        lost, d.duplicated(), lost == 0 && d.duplicated() == 0 ? "EXACT" : "NOT EXACT");
                System.out.printf("outage started %.1f s into the run%n", (down - t0) / 1e9);
            } finally {
                load.shutdownNow();
            }
        }
    }

    private static Map<String, Integer> registrationsPerDevice(Rig rig) {
        Map<String, Integer> counts = new java.util.HashMap<>();
        rig.sim.control("GET", "counters").path("registrationsPerDevice").fields()
                .forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asInt()));
        return counts;
    }

    private static void sleepUntil(long startNanos, double seconds) {
        long until = startNanos + (long) (seconds * 1e9);
        for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) {
            BridgeProcess.sleep(Math.min(1000, Math.max(1, left / 1_000_000)));
        }
    }

    // --- start-up -------------------------------------------------------------------------------------------------

    private void startup() throws Exception {
        System.out.printf("%n== start-up: process start to first forwarded message (device known to DPS, not to the bridge)%n");
        Path shipped = Path.of("transforms").toAbsolutePath();
        try (SimProcess sim = SimProcess.start(o, o.workDir().resolve("simulator.log"))) {
            Map<String, String> settings = sim.bridgeSettings();
            settings.put("BRIDGE_TRANSFORMS_DIR", shipped.toString());
            double[] listening = new double[o.repeats()];
            double[] first = new double[o.repeats()];
            for (int i = 0; i < o.repeats(); i++) {
                String device = IotcRequests.deviceId("startup-", i % 2);
                try (BridgeProcess b = BridgeProcess.start(withLogging(o), settings, o.workDir().resolve("bridge.log"))) {
                    long[] t = firstForward(b, device);
                    listening[i] = (t[0] - b.startedNanos) / 1e6;
                    first[i] = (t[1] - b.startedNanos) / 1e6;
                }
                System.out.printf("run %d: listening after %.0f ms, first message forwarded after %.0f ms%n", i + 1,
                        listening[i], first[i]);
            }
            Arrays.sort(first);
            Arrays.sort(listening);
            System.out.printf("start-up: first forwarded message p50 %.0f ms (min %.0f, max %.0f); listening p50 %.0f ms%n",
                    first[first.length / 2], first[0], first[first.length - 1], listening[listening.length / 2]);
        }
    }

    /** Sends one webhook as soon as the port accepts; returns [listening, first 2xx] in System.nanoTime(). */
    private static long[] firstForward(BridgeProcess b, String device) throws IOException {
        long listening = 0;
        long limit = System.nanoTime() + 60_000_000_000L;
        byte[] request = new IotcRequests(b.port, device, 0, 1, "s-").request(0);
        while (System.nanoTime() < limit) {
            if (!b.process.isAlive()) {
                throw new IllegalStateException("the bridge exited; see " + b.log);
            }
            try (Socket s = new Socket()) {
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress("127.0.0.1", b.port), 1000);
                if (listening == 0) {
                    listening = System.nanoTime();
                }
                s.setSoTimeout(30_000);
                OutputStream out = s.getOutputStream();
                out.write(request);
                out.flush();
                InputStream in = s.getInputStream();
                byte[] head = in.readNBytes(12);
                String status = new String(head, StandardCharsets.US_ASCII);
                if (status.startsWith("HTTP/1.1 2")) {
                    return new long[] {listening, System.nanoTime()};
                }
                throw new IllegalStateException("first message answered " + status + "; see " + b.log);
            } catch (java.net.ConnectException notYet) {
                BridgeProcess.sleep(1);
            }
        }
        throw new IllegalStateException("no first message forwarded within 60 s");
    }

    // --- heap per cached device -----------------------------------------------------------------------------------

    private void heap() throws Exception {
        System.out.printf("%n== heap per cached device: 100,000 device links in the real cache (DeviceLinkHeapMeasure)%n");
        String cp = o.jar().toAbsolutePath() + java.io.File.pathSeparator + Path.of("target/test-classes").toAbsolutePath();
        Process p = new ProcessBuilder(BridgeProcess.javaBinary(), "-XX:+UseSerialGC", "-Xmx1g", "-cp", cp,
                "dev.iotcbridge.iot.DeviceLinkHeapMeasure", "100000").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        System.out.print(out);
    }

    // --- failed sends ---------------------------------------------------------------------------------------------

    private void failures() throws Exception {
        long total = o.count();
        int c = o.concurrency();
        System.out.printf("%n== %,d failed sends: every hub answers 429 (Retry-After 5 s, beyond the call's budget, so one "
                + "hub request per webhook), C = %d, %d devices%n", total, c, o.devices());
        try (Rig rig = new Rig(true)) {
            provision(rig, "bench-dev-", o.devices());
            LoadGenerator.run(rig.target(), LoadGenerator.Plan.counted(c, 20_000, 120, 1),
                    new IotcRequests(rig.bridge.port, "bench-dev-", 0, o.devices(), "fw-"));
            double rss0 = rig.bridge.rssMiB();
            double heap0 = rig.bridge.heapAfterFullGcMiB();
            double rssGc0 = rig.bridge.rssMiB();
            System.out.printf("after 20,000 delivered messages: RSS %.1f MiB; after a full GC: heap %.1f MiB, RSS %.1f MiB%n",
                    rss0, heap0, rssGc0);
            rig.sim.control("POST", "hubs/a/faults?code=429001&retryAfter=5&fraction=1");
            rig.sim.control("POST", "hubs/b/faults?code=429001&retryAfter=5&fraction=1");
            rig.sim.control("POST", "counters/reset");
            long chunk = Math.max(1, total / 4);
            long done = 0;
            for (int part = 1; done < total; part++) {
                long n = Math.min(chunk, total - done);
                LoadGenerator.Result r = LoadGenerator.run(rig.target(), LoadGenerator.Plan.counted(c, n, 600, 1),
                        new IotcRequests(rig.bridge.port, "bench-dev-", 0, o.devices(), "f" + part + "-"));
                done += n;
                double rss = rig.bridge.rssMiB();
                double heap = rig.bridge.heapAfterFullGcMiB();
                System.out.printf("after %,d failed sends (%s, %,.0f/s): RSS %.1f MiB; after a full GC: heap %.1f MiB, RSS %.1f MiB, peak RSS %.1f MiB%n",
                        done, statuses(r.statuses), r.perSecond(), rss, heap, rig.bridge.rssMiB(), rig.bridge.peakRssMiB());
            }
            var counters = rig.sim.control("GET", "counters");
            System.out.printf("hub requests answered 429: %d (hub-a %d, hub-b %d), accepted %d%n",
                    counters.path("hubRequests").path("A").asLong() + counters.path("hubRequests").path("B").asLong(),
                    counters.path("hubRequests").path("A").asLong(), counters.path("hubRequests").path("B").asLong(),
                    counters.path("messagesAccepted").asLong());
        }
    }

    // --- printing -------------------------------------------------------------------------------------------------

    private static String statuses(Map<Integer, Long> s) {
        StringBuilder b = new StringBuilder();
        s.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k == 0 ? "no answer" : k.toString()).append('=').append(v));
        return b.length() == 0 ? "none" : b.toString();
    }

    private static void machine() throws IOException {
        String model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        System.out.printf(Locale.ROOT, "machine: %d cores (%s), %s %s; load average %s%n",
                Runtime.getRuntime().availableProcessors(), model, System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"), Files.readString(Path.of("/proc/loadavg")).trim());
    }
}
