package dev.iotcbridge.faults;

import dev.iotcbridge.server.LocalBridge;
import dev.iotcbridge.sim.Simulator;
import dev.iotcbridge.sim.SimulatorOptions;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A simulator and a local bridge in front of it, as {@link FaultScenario} starts them, for fleet scenarios that run
 * in phases (deliver, fault, recover) with settings of their own (the re-provisioning window, the refusal back-off,
 * the DPS admission, the simulator's register Retry-After) and that look at every answer, not only at the totals.
 * The run's secrets (group key, function key, every device key and token the bridge could have minted) are told to
 * the witness.
 */
final class FleetRig implements AutoCloseable {

    /** One message a sender posts: its device, its unique id, and a counter for its body. */
    record Msg(String deviceId, String messageId, int n) {
    }

    static final long TOKEN_TTL_SECONDS = 60 * 60;

    private final String name;
    private final Simulator sim;
    private final DpsTap tap;
    private final LocalBridge bridge;
    private final String functionKey;
    private final SecretWitness witness;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final Instant started = Instant.now();
    private final Set<String> devices = new LinkedHashSet<>();
    private int messages;

    private FleetRig(String name, Simulator sim, DpsTap tap, LocalBridge bridge, String functionKey, SecretWitness witness) {
        this.name = name;
        this.sim = sim;
        this.tap = tap;
        this.bridge = bridge;
        this.functionKey = functionKey;
        this.witness = witness;
    }

    /**
     * @param options  the simulator's options; the rig adds the witness as telemetry printer and a short memory
     * @param settings the bridge's settings beyond the connection to the simulator (which the rig sets)
     * @param tapDps   whether the bridge reaches DPS through a {@link DpsTap}, to count every request per device
     */
    static FleetRig start(String name, SimulatorOptions.Builder options, Map<String, String> settings, boolean tapDps,
                          SecretWitness witness) throws IOException {
        byte[] keyBytes = new byte[24];
        new SecureRandom().nextBytes(keyBytes);
        String functionKey = HexFormat.of().formatHex(keyBytes);
        Simulator sim = Simulator.start(options.telemetryPrinter(witness::see).keepRecentMessages(10).build());
        DpsTap tap = null;
        try {
            witness.secret("the group key of fleet scenario " + name, sim.groupKey().reveal());
            witness.secret("the function key of fleet scenario " + name, functionKey);
            tap = tapDps ? DpsTap.start(sim.dpsHost()) : null;
            Map<String, String> all = new HashMap<>(settings);
            all.put("IOTC_ID_SCOPE", sim.idScope());
            all.put("IOTC_GROUP_KEY", sim.groupKey().reveal());
            all.put("IOTC_DPS_HOST", tap != null ? tap.host() : sim.dpsHost());
            all.put("BRIDGE_ALLOW_HTTP", "true");
            all.put("BRIDGE_PORT", "0");
            all.put("BRIDGE_FUNCTION_KEY", functionKey);
            all.put("BRIDGE_SAS_TTL_MINUTES", Long.toString(TOKEN_TTL_SECONDS / 60));
            all.put("BRIDGE_TRANSFORMS_DIR", Path.of("transforms").toAbsolutePath().toString());
            LocalBridge bridge = LocalBridge.start(all, witness.console());
            return new FleetRig(name, sim, tap, bridge, functionKey, witness);
        } catch (IOException | RuntimeException e) {
            if (tap != null) {
                tap.close();
            }
            sim.close();
            throw e;
        }
    }

    Simulator sim() {
        return sim;
    }

    DpsTap tap() {
        if (tap == null) {
            throw new IllegalStateException("scenario " + name + " runs without a DPS tap");
        }
        return tap;
    }

    /** {@code count} device ids of this scenario, {@code <name>-<role>-<i>}. */
    List<String> deviceIds(String role, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = name + "-" + role + "-" + i;
            ids.add(id);
            devices.add(id);
        }
        return ids;
    }

    /** One new message (a unique id) for each of these devices. */
    List<Msg> oneEach(List<String> deviceIds) {
        List<Msg> out = new ArrayList<>();
        for (String id : deviceIds) {
            out.add(message(id));
        }
        return out;
    }

    Msg message(String deviceId) {
        devices.add(deviceId);
        int n = messages++;
        return new Msg(deviceId, name + "-m" + n, n);
    }

    /**
     * A sender as the fault suite's: retries every failure (20 ms doubling up to 400 ms), up to {@code maxAttempts}
     * posts of a message; its HTTP timeout outlasts the bridge's budget, so that a late answer is the bridge's.
     */
    RetryingWebhookSender sender(int maxAttempts) {
        return new RetryingWebhookSender(http, bridge.port(), functionKey, maxAttempts, Duration.ofMillis(20),
                Duration.ofMillis(400), Duration.ofSeconds(15), witness);
    }

    /**
     * Posts every message at once, one sender thread each, until each is acknowledged, its sender gives up, or
     * {@code giveUpAfter} has passed; returns when all senders are done (a bound of that plus a minute, in case the
     * bridge stops answering, fails the scenario instead of hanging it).
     */
    void deliverAll(RetryingWebhookSender sender, Ledger ledger, List<Msg> msgs, Duration giveUpAfter) throws Exception {
        long giveUpAt = System.nanoTime() + giveUpAfter.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, msgs.size()));
        try {
            List<Future<?>> work = new ArrayList<>();
            for (Msg m : msgs) {
                work.add(pool.submit(() -> {
                    sender.deliver(ledger, m.deviceId(), m.messageId(), m.n(), giveUpAt);
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(giveUpAfter.toSeconds() + 60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Closes the bridge first (nothing more can reach the hubs), then tells the witness the devices' secrets. */
    @Override
    public void close() {
        try {
            bridge.close();
        } finally {
            try {
                if (tap != null) {
                    tap.close();
                }
                SasOracle.witnessDevices(witness, sim.groupKey().reveal(), sim.idScope(), sim.hubHosts(), devices,
                        started.getEpochSecond() - 1, Instant.now().getEpochSecond() + 1, TOKEN_TTL_SECONDS);
            } finally {
                sim.close();
            }
        }
    }
}
