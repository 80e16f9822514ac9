package dev.iotcbridge.faults;

import dev.iotcbridge.server.LocalBridge;
import dev.iotcbridge.sim.SimCounters;
import dev.iotcbridge.sim.Simulator;
import dev.iotcbridge.sim.SimulatorOptions;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One fault scenario: a fresh simulator (DPS and two hubs) and a fresh local bridge in front of it, concurrent
 * retrying senders posting a few hundred messages with unique ids, faults injected at the start and at points of
 * the run's progress, and the counts both sides kept. {@link Outcome} holds what the accounting checks.
 */
final class FaultScenario {

    static final int BUDGET_MS = 600;
    /** DPS admission of the scenarios' bridge: 8 provisionings at once, then 16 a second (48 new devices take 2.5 s). */
    static final int REGISTRATION_BURST = 8;
    static final int REGISTRATIONS_PER_MINUTE = 960;
    /**
     * How many times a sender posts one message before it counts as lost. A count, not a time, so that a busy machine,
     * on which every answer comes later, gives the senders more time rather than less. A device unlucky enough to draw
     * several DPS faults in a row waits out the bridge's exponential back-off (1, 2, 4, 8, 16 s, jittered)  behind an
     * admission of {@link #REGISTRATIONS_PER_MINUTE} a minute, so the last ones can take most of a minute; meanwhile its
     * sender is answered at once and sleeps at most 400 ms between attempts, so 250 attempts last at least 100 s.
     */
    static final int MAX_ATTEMPTS = 250;
    /**
     * A safety limit only, for a bridge that stops answering (every attempt then waits out the 4 s request timeout): no
     * correct run comes near it, and what it stops counts as lost.
     */
    static final long SETTLE_SECONDS = 300;
    static final long TOKEN_TTL_SECONDS = 60 * 60;

    /**
     * How long a fault ended by {@link Run#afterFailedAnswers} may last at most, in case the senders never feel it
     * (a bridge that hides the fault): the scenario then fails on its own assertions instead of waiting out
     * {@link #SETTLE_SECONDS}. A correct run ends the fault long before, by the count of failed answers.
     */
    static final Duration FAULT_SAFETY_LIMIT = Duration.ofSeconds(20);

    /** What a scenario can reach while it runs. */
    record Run(Simulator sim, LocalBridge bridge, ScheduledExecutorService chaos, Ledger ledger) {
        /**
         * Runs {@code action} once, when the senders have had {@code count} more failed attempts (any answer but 2xx,
         * or none) than now: a fault lasts as many failures as the scenario needs, not a wall-clock time that a busy
         * machine may spend before a single request reaches the fault.
         */
        void afterFailedAnswers(int count, Runnable action) {
            AtomicBoolean done = new AtomicBoolean();
            Runnable once = () -> {
                if (done.compareAndSet(false, true)) {
                    action.run();
                }
            };
            ledger.afterFailures(count, once);
            chaos.schedule(once, FAULT_SAFETY_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private record Trigger(double progress, Consumer<Run> action, AtomicBoolean fired) {
    }

    private final String name;
    private int devices = 48;
    private int messagesPerDevice = 5;
    static final int DEFAULT_SENDERS = 16;
    private int senders = DEFAULT_SENDERS;
    private long seed = 1;
    private boolean assignOnRegister;
    private Consumer<Run> setup = run -> { };
    private final List<Trigger> triggers = new ArrayList<>();
    /** Devices whose first message comes only after this share of the run (0: all devices from the start). */
    private double lateDevicesFrom = 0;
    private int lateDevices = 0;

    private FaultScenario(String name) {
        this.name = name;
    }

    static FaultScenario named(String name) {
        return new FaultScenario(name);
    }

    FaultScenario load(int devices, int messagesPerDevice, int senders) {
        this.devices = devices;
        this.messagesPerDevice = messagesPerDevice;
        this.senders = senders;
        return this;
    }

    FaultScenario seed(long seed) {
        this.seed = seed;
        return this;
    }

    /**
     * DPS answers the register call {@code assigned} at once. Scenarios that fault DPS use it: a poll that fails
     * leaves its operation counted in flight by the simulator until it expires, while the bridge has long moved on,
     * which would make the registration count say nothing about the bridge's cap.
     */
    FaultScenario assignOnRegister() {
        this.assignOnRegister = true;
        return this;
    }

    FaultScenario atStart(Consumer<Run> action) {
        this.setup = action;
        return this;
    }

    /** Runs {@code action} once, when this share of the messages has been settled (acknowledged or given up). */
    FaultScenario at(double progress, Consumer<Run> action) {
        triggers.add(new Trigger(progress, action, new AtomicBoolean()));
        return this;
    }

    /** The last {@code count} devices send nothing before {@code progress} of the run. */
    FaultScenario lateDevices(int count, double progress) {
        this.lateDevices = count;
        this.lateDevicesFrom = progress;
        return this;
    }

    String name() {
        return name;
    }

    /**
     * The most DPS registrations the bridge's admission lets through in {@code millis}: the burst, then the rate. Each
     * provisioning attempt takes one token and makes at most one register call.
     */
    static long admissionBound(long millis) {
        return REGISTRATION_BURST + (long) Math.ceil(REGISTRATIONS_PER_MINUTE * (millis / 60_000.0));
    }

    /** What both sides saw. */
    record Outcome(String name, Ledger ledger, SimCounters counters, Map<String, String> deviceHubs,
                   List<String> devicesRegisteredLate, long durationMillis) {

        long atHub() {
            return counters.messagesAccepted();
        }

        long duplicates() {
            return counters.messagesPerMessageId().values().stream().mapToLong(c -> Math.max(0, c - 1)).sum();
        }

        String line() {
            return String.format("scenario %-32s sent %4d  acked %4d  retried %4d  at hub %4d  duplicates %3d  "
                            + "registrations %4d/%d  max in flight %d  answers %s  (%d ms)",
                    name, ledger.sent(), ledger.acked(), ledger.retries(), atHub(), duplicates(),
                    counters.registrationsReceived(), admissionBound(durationMillis), counters.maxRegistrationsInFlight(),
                    new java.util.TreeMap<>(ledger.statusCounts()), durationMillis);
        }
    }

    Outcome run(SecretWitness witness) throws Exception {
        String prefix = name.replaceAll("[^a-z0-9]+", "-");
        byte[] keyBytes = new byte[24];
        new SecureRandom().nextBytes(keyBytes);
        String functionKey = HexFormat.of().formatHex(keyBytes);
        SimulatorOptions.Builder options = SimulatorOptions.builder().retryAfterSeconds(0).seed(seed)
                .telemetryPrinter(witness::see).keepRecentMessages(10);
        if (assignOnRegister) {
            options.assignOnRegister(true);
        }
        Instant started = Instant.now();
        long startNanos = System.nanoTime();
        ScheduledExecutorService chaos = Executors.newSingleThreadScheduledExecutor();
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        Ledger ledger = new Ledger();
        Map<String, String> deviceHubs = new HashMap<>();
        List<String> late = new ArrayList<>();
        try (Simulator sim = Simulator.start(options.build())) {
            witness.secret("the group key of scenario " + name, sim.groupKey().reveal());
            witness.secret("the function key of scenario " + name, functionKey);
            Map<String, String> settings = new HashMap<>();
            settings.put("IOTC_ID_SCOPE", sim.idScope());
            settings.put("IOTC_GROUP_KEY", sim.groupKey().reveal());
            settings.put("IOTC_DPS_HOST", sim.dpsHost());
            settings.put("BRIDGE_ALLOW_HTTP", "true");
            settings.put("BRIDGE_PORT", "0");
            settings.put("BRIDGE_FUNCTION_KEY", functionKey);
            settings.put("BRIDGE_REQUEST_BUDGET_MS", Integer.toString(BUDGET_MS));
            settings.put("BRIDGE_DPS_REGISTRATION_BURST", Integer.toString(REGISTRATION_BURST));
            settings.put("BRIDGE_DPS_REGISTRATIONS_PER_MINUTE", Integer.toString(REGISTRATIONS_PER_MINUTE));
            settings.put("BRIDGE_DPS_REFUSAL_BACKOFF_SECONDS", "0");
            settings.put("BRIDGE_SAS_TTL_MINUTES", Long.toString(TOKEN_TTL_SECONDS / 60));
            settings.put("BRIDGE_TRANSFORMS_DIR", Path.of("transforms").toAbsolutePath().toString());
            List<String> ids = new ArrayList<>();
            try (LocalBridge bridge = LocalBridge.start(settings, witness.console())) {
                Run run = new Run(sim, bridge, chaos, ledger);
                setup.accept(run);
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(2)).build();
                RetryingWebhookSender sender = new RetryingWebhookSender(http, bridge.port(), functionKey, MAX_ATTEMPTS,
                        Duration.ofMillis(20), Duration.ofMillis(400), Duration.ofSeconds(4), witness);
                List<String[]> messages = new ArrayList<>();
                for (int d = 0; d < devices; d++) {
                    ids.add(prefix + "-" + d);
                }
                int early = devices - lateDevices;
                int earlyMessages = early * messagesPerDevice;
                int lateStart = (int) (lateDevicesFrom * (earlyMessages + lateDevices * messagesPerDevice));
                int n = 0;
                for (int round = 0; round < messagesPerDevice; round++) {
                    for (int d = 0; d < early; d++) {
                        messages.add(new String[] {ids.get(d), prefix + "-m" + n, Integer.toString(n++)});
                    }
                }
                List<String[]> lateMessages = new ArrayList<>();
                for (int round = 0; round < messagesPerDevice; round++) {
                    for (int d = early; d < devices; d++) {
                        lateMessages.add(new String[] {ids.get(d), prefix + "-m" + n, Integer.toString(n++)});
                    }
                }
                if (!lateMessages.isEmpty()) {
                    messages.addAll(Math.min(lateStart, messages.size()), lateMessages);
                    late.addAll(ids.subList(early, devices));
                }
                int total = messages.size();
                long giveUpAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(SETTLE_SECONDS);
                AtomicInteger settled = new AtomicInteger();
                List<Future<?>> work = new ArrayList<>();
                for (String[] m : messages) {
                    work.add(pool.submit(() -> {
                        sender.deliver(ledger, m[0], m[1], Integer.parseInt(m[2]), giveUpAt);
                        int done = settled.incrementAndGet();
                        for (Trigger t : triggers) {
                            if (done >= t.progress() * total && t.fired().compareAndSet(false, true)) {
                                t.action().accept(run);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : work) {
                    f.get(SETTLE_SECONDS + 60, TimeUnit.SECONDS);
                }
                chaos.shutdownNow();
                sim.devices().forEach(v -> deviceHubs.put(v.deviceId(), v.hub().map(Enum::name).orElse("none")));
            }
            // the bridge is closed: nothing more can reach the hubs
            SimCounters counters = sim.counters();
            long end = Instant.now().getEpochSecond() + 1;
            SasOracle.witnessDevices(witness, sim.groupKey().reveal(), sim.idScope(), sim.hubHosts(), ids,
                    started.getEpochSecond() - 1, end, TOKEN_TTL_SECONDS);
            return new Outcome(name, ledger, counters, deviceHubs, late,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        } finally {
            chaos.shutdownNow();
            pool.shutdownNow();
        }
    }
}
