package dev.iotcbridge.server;

import dev.iotcbridge.bridge.BridgeRuntime;
import dev.iotcbridge.bridge.WebhookResponse;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.sim.AdminResponse;
import dev.iotcbridge.sim.Simulator;
import dev.iotcbridge.sim.SimulatorOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * The bridge running as a local process: the runtime, the HTTP server and, when no IoT Central is
 * configured, the embedded simulator it forwards to.
 */
public final class LocalBridge implements AutoCloseable {

    /**
     * The embedded simulator's register Retry-After: shorter than real DPS's 3 s (docs/azure-protocol.md §2.1) so that
     * a first try of the quick start answers at once; said at start-up, since onboarding bursts behave differently.
     */
    static final int QUICK_START_RETRY_AFTER_SECONDS = 1;

    private final Optional<Simulator> simulator;
    private final BridgeRuntime runtime;
    private final LocalServer server;
    private final CountDownLatch closed = new CountDownLatch(1);

    private LocalBridge(Optional<Simulator> simulator, BridgeRuntime runtime, LocalServer server) {
        this.simulator = simulator;
        this.runtime = runtime;
        this.server = server;
    }

    /** Starts from setting values (local.settings.json and environment, already merged); says on {@code out} what it runs against. */
    public static LocalBridge start(Map<String, String> values, PrintStream out) throws IOException {
        Settings settings = Settings.from(values);
        Optional<Simulator> simulator = Optional.empty();
        if (settings.simulated()) {
            Simulator sim = Simulator.start(SimulatorOptions.builder().telemetryPrinter(out::println)
                    .retryAfterSeconds(QUICK_START_RETRY_AFTER_SECONDS).build());
            simulator = Optional.of(sim);
            Map<String, String> simulated = new HashMap<>(values);
            simulated.put("IOTC_ID_SCOPE", sim.idScope());
            simulated.put("IOTC_GROUP_KEY", sim.groupKey().reveal());
            simulated.remove("IOTC_GROUP_KEY_SECONDARY");
            simulated.put("IOTC_DPS_HOST", sim.dpsHost());
            simulated.put("BRIDGE_ALLOW_HTTP", Boolean.toString(!sim.https()));
            standInsForDownlinks(simulated, sim.clouds().baseUrl());
            settings = Settings.from(simulated);
            out.println("No IOTC_ID_SCOPE set: forwarding to the embedded IoT Central simulator "
                    + "(DPS " + sim.dpsHost() + ", hubs " + String.join(" and ", sim.hubHosts()) + ", ID scope " + sim.idScope() + ").");
            out.println("The simulated DPS asks registrations to wait Retry-After " + QUICK_START_RETRY_AFTER_SECONDS
                    + " s; real DPS asks 3 s (run `simulate --retry-after 3` to rehearse that).");
        }
        BridgeRuntime runtime = BridgeRuntime.start(settings, true);
        Optional<LocalServer.AdminRoute> admin = simulator.map(sim -> (method, path, query) -> {
            AdminResponse a = sim.admin(method, path, query);
            return new WebhookResponse(a.status(), Map.of("Content-Type", AdminResponse.CONTENT_TYPE),
                    a.json().getBytes(StandardCharsets.UTF_8));
        });
        LocalServer server;
        try {
            // the hub client's event loops: a webhook is read, sent to the hub and answered on one thread
            server = LocalServer.start(settings.bindAddress(), settings.port(), runtime.handler(), settings.functionKey(),
                    settings.maxBodyBytes(), admin, runtime.eventLoops(), runtime.workers());
        } catch (IOException e) {
            runtime.close();
            simulator.ifPresent(Simulator::close);
            throw new IOException("cannot listen on " + settings.bindAddress() + ":" + settings.port() + ": " + e.getMessage(), e);
        }
        String base = "http://" + settings.bindAddress() + ":" + server.port();
        out.println("iotc-webhook-bridge listening on " + base + "/api/{route} (" + runtime.eventLoops().transport() + "); routes: " + String.join(", ", runtime.transforms().routes())
                + (settings.functionKey().isPresent() ? " (function key required)" : ""));
        simulator.ifPresent(s -> out.println("Simulated devices: GET " + base + "/sim/devices; failover drill: POST "
                + base + "/sim/devices/{id}/failover?minutes=N"));
        simulator.ifPresent(s -> out.println("Commands: POST " + base + "/sim/devices/{id}/commands/{name}?payload=JSON queues one "
                + "as IoT Central does; the clouds' downlink APIs are stood in for at " + s.clouds().baseUrl()
                + " (TTS push: " + s.clouds().baseUrl() + "/api/v3/as/applications/{app}/webhooks/{webhook}/devices/{device}/down/push)"));
        return new LocalBridge(simulator, runtime, server);
    }

    /**
     * Points the shipped routes' downlinks at the simulator's stand-ins for the clouds' APIs, where the operator set
     * nothing: a command queued in the simulator can then be seen reaching a device with no cloud account.
     */
    private static void standInsForDownlinks(Map<String, String> values, String standIns) {
        String host = java.net.URI.create(standIns).getHost();
        values.putIfAbsent("BRIDGE_ROUTE_TTN_DOWNLINK_HOSTS", host + " .cloud.thethings.network .cloud.thethings.industries");
        values.putIfAbsent("BRIDGE_ROUTE_HELIUM_DOWNLINK_HOSTS", host + " console.helium.com");
        if (!values.containsKey("BRIDGE_ROUTE_CHIRPSTACK_API_URL")) {
            values.put("BRIDGE_ROUTE_CHIRPSTACK_API_URL", standIns);
            values.put("BRIDGE_ROUTE_CHIRPSTACK_API_KEY", "simulated-chirpstack-api-token");
        }
        if (!values.containsKey("BRIDGE_ROUTE_LORIOT_API_URL")) {
            values.put("BRIDGE_ROUTE_LORIOT_API_URL", standIns + "/1/rest");
            values.put("BRIDGE_ROUTE_LORIOT_API_KEY", "simulated-loriot-token");
            values.putIfAbsent("BRIDGE_ROUTE_LORIOT_APP_ID", "BE7A0000");
        }
    }

    public int port() {
        return server.port();
    }

    public java.net.InetSocketAddress address() {
        return server.address();
    }

    public Optional<Simulator> simulator() {
        return simulator;
    }

    public BridgeRuntime runtime() {
        return runtime;
    }

    /**
     * Waits until {@link #close()} (the shutdown hook, for {@code serve}): the event loops' threads are daemons, so
     * something must hold the process up while it serves.
     */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    @Override
    public void close() {
        server.close();
        runtime.close();
        simulator.ifPresent(Simulator::close);
        closed.countDown();
    }
}
