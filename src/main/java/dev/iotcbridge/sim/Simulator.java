package dev.iotcbridge.sim;

import dev.iotcbridge.config.Secret;
import dev.iotcbridge.net.EventLoops;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;

/**
 * An IoT Central application in a box, for local runs and tests: a DPS and two IoT hubs on loopback that answer
 * as the real services do (docs/azure-protocol.md, sections 2 to 4), verify every SAS token against keys derived from
 * the group key, print each telemetry event, and offer IoT Central's manual failover and fault controls; commands
 * queued as IoT Central queues them for offline devices, and stand-ins for the clouds' downlink APIs that print what
 * reaches them.
 *
 * <pre>{@code
 * try (Simulator sim = Simulator.start(SimulatorOptions.builder().telemetryPrinter(System.out::println).build())) {
 *     // point a client at sim.dpsHost() with sim.idScope() and sim.groupKey(), over sim.scheme()
 * }
 * }</pre>
 */
public final class Simulator implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Simulator.class.getName());

    private final SimulatorOptions options;
    private final String idScope;
    private final Secret groupKey;
    private final Clock clock;
    private final DeviceRegistry registry = new DeviceRegistry();
    private final TelemetryLog telemetry;
    private final EventLoops loops;
    private final ExecutorService adminWork;
    private final Map<HubId, SimHub> hubs = new EnumMap<>(HubId.class);
    private final SimDps dps;
    private final SimAdmin admin;
    private final SimCommands commands = new SimCommands();
    private final SimClouds clouds;

    private Simulator(SimulatorOptions options) {
        this.options = options;
        this.idScope = options.idScope().orElseGet(Simulator::newIdScope);
        this.groupKey = options.groupKey().orElseGet(Simulator::newGroupKey);
        this.clock = options.clock();
        this.telemetry = new TelemetryLog(options.keepRecentMessages(), options.keepMessageIds(), options.telemetryPrinter());
        this.loops = EventLoops.create(options.ioThreads(), "iotc-sim-io");
        this.adminWork = Executors.newSingleThreadExecutor(daemonThreads("iotc-sim-control"));
        SslContext tls = options.https() ? SimTls.nettyServerContext() : null;
        DeviceKeys keys = new DeviceKeys(groupKey);
        long seed = options.seed();
        for (HubId id : HubId.values()) {
            hubs.put(id, new SimHub(id, registry, keys, telemetry, options.hubErrorStyle(), seed + 1 + id.ordinal(),
                    clock, loops, tls, adminWork, commands));
        }
        this.clouds = new SimClouds(clock, options.telemetryPrinter(), seed + 7, loops, tls, adminWork);
        this.admin = new SimAdmin(this);
        this.dps = new SimDps(options, idScope, registry, keys, id -> hubs.get(id).host(), this::adminOverHttp, clock,
                loops, tls, adminWork);
    }

    /** Starts the DPS and both hubs on loopback. */
    public static Simulator start(SimulatorOptions options) throws IOException {
        Simulator sim = new Simulator(options);
        try {
            sim.hubs.get(HubId.A).start(options.hubAPort(), options.hubAName());
            sim.hubs.get(HubId.B).start(options.hubBPort(), options.hubBName());
            sim.dps.start(options.dpsPort());
            sim.clouds.start(0);
        } catch (IOException | RuntimeException e) {
            sim.close();
            throw e;
        }
        LOG.info(() -> "IoT Central simulator: DPS " + sim.scheme() + "://" + sim.dpsHost() + ", ID scope " + sim.idScope
                + ", hubs " + sim.hubHosts());
        return sim;
    }

    /** Starts with the default options (plain HTTP, ephemeral ports, generated scope and key). */
    public static Simulator start() throws IOException {
        return start(SimulatorOptions.defaults());
    }

    // --- what a client needs -------------------------------------------------------------------------------

    public String idScope() {
        return idScope;
    }

    /** The enrollment group key devices' keys are derived from. */
    public Secret groupKey() {
        return groupKey;
    }

    /** {@code 127.0.0.1:<port>} of DPS (and of the {@code /sim/} control API). */
    public String dpsHost() {
        return dps.host();
    }

    /** Names of hub A and hub B, {@code 127.0.0.1:<port>}, as DPS returns them in {@code assignedHub}. */
    public List<String> hubHosts() {
        return List.of(hubs.get(HubId.A).host(), hubs.get(HubId.B).host());
    }

    public boolean https() {
        return options.https();
    }

    /** {@code http} or {@code https}. */
    public String scheme() {
        return options.https() ? "https" : "http";
    }

    /** A client TLS context trusting the simulator's certificate (see {@link SimTls}). */
    public SSLContext clientSslContext() {
        return SimTls.clientContext();
    }

    /** The trust manager for the simulator's certificate, e.g. for OkHttp's {@code sslSocketFactory}. */
    public X509TrustManager trustManager() {
        return SimTls.trustManager();
    }

    public SimulatorOptions options() {
        return options;
    }

    // --- services and their fault controls -------------------------------------------------------------------

    public SimDps dps() {
        return dps;
    }

    public SimHub hub(HubId id) {
        return hubs.get(id);
    }

    public SimHub hubA() {
        return hubs.get(HubId.A);
    }

    public SimHub hubB() {
        return hubs.get(HubId.B);
    }

    /** The hub whose name (as in {@code assignedHub}) is {@code host}. */
    public Optional<SimHub> hubNamed(String host) {
        return hubs.values().stream().filter(h -> h.host().equalsIgnoreCase(host)).findFirst();
    }

    /** The hub a device registering now for the first time would be assigned to. */
    public HubId initialHubFor(String registrationId) {
        return dps.allocationFor(registrationId);
    }

    /** Removes every fault rule and latency, ends every hub outage and lets refused hubs listen again. */
    public void clearFaults() {
        clouds.faults().clear();
        dps.faults().clear();
        dps.allocateNormally();
        for (SimHub hub : hubs.values()) {
            hub.faults().clear();
            hub.endOutage();
        }
    }

    // --- devices -------------------------------------------------------------------------------------------

    public List<DeviceView> devices() {
        return registry.all().stream().map(this::view).toList();
    }

    public Optional<DeviceView> device(String deviceId) {
        return registry.find(deviceId).map(this::view);
    }

    /**
     * Moves a registered device to the other hub, like {@code az iot central device manual-failover}: the hub it
     * leaves answers 404 DeviceNotFound for it from now on, a re-registration through DPS names the new hub. With a
     * {@code failbackAfter}, the device returns to its former hub once that much time has passed on the clock.
     *
     * @return the hub the device now lives in
     * @throws NoSuchElementException when no device of that id has registered
     */
    public HubId failover(String deviceId, Duration failbackAfter) {
        return failover(deviceId, failbackAfter, false);
    }

    /**
     * A failover whose old hub answers 401 IotHubUnauthorized with DEVICE_DISABLED, IoT Central's documented answer
     * for a device "disabled in this IoT hub and moved to another IoT hub" (docs/azure-protocol.md §3.5), when
     * {@code oldHubSaysDisabled}; else 404, as {@link #failover(String, Duration)}.
     */
    public HubId failover(String deviceId, Duration failbackAfter, boolean oldHubSaysDisabled) {
        if (failbackAfter != null && (failbackAfter.isNegative() || failbackAfter.isZero())) {
            throw new IllegalArgumentException("the fail-back time must be positive");
        }
        return registry.find(deviceId).flatMap(d -> d.failover(clock.instant(), failbackAfter, oldHubSaysDisabled))
                .orElseThrow(() -> new NoSuchElementException("device " + deviceId + " has not registered"));
    }

    /**
     * Blocks a device as an IoT Central operator does: DPS refuses it with 400209 (401, or an operation {@code failed},
     * as {@link SimulatorOptions#dpsRefusal()} says), its hub answers 401 IotHubUnauthorized (DEVICE_BLOCKED).
     */
    public void block(String deviceId) {
        registry.getOrCreate(deviceId).blocked(true);
    }

    public void unblock(String deviceId) {
        registry.find(deviceId).ifPresent(d -> d.blocked(false));
    }

    /**
     * Disables a device: its hub answers 401 IotHubUnauthorized (DEVICE_DISABLED), as IoT Central documents it; DPS
     * refuses it like a blocked device (401 + 400209), or reports the operation {@code disabled} in the
     * {@link DpsRefusal#FAILED_STATUS} form. 403012 DeviceDisabled stays available as an injected fault.
     */
    public void disable(String deviceId) {
        registry.getOrCreate(deviceId).disabled(true);
    }

    public void enable(String deviceId) {
        registry.find(deviceId).ifPresent(d -> d.disabled(false));
    }

    /**
     * The device waits for an operator's approval, as in an IoT Central application whose device connection group
     * does not approve devices automatically: DPS refuses it like a blocked device (400209); {@link #approve} lets it
     * register.
     */
    public void awaitApproval(String deviceId) {
        registry.getOrCreate(deviceId).awaitingApproval(true);
    }

    public void approve(String deviceId) {
        registry.find(deviceId).ifPresent(d -> d.awaitingApproval(false));
    }

    /**
     * The hubs forget the device for good: every send is answered 404 DeviceNotFound, also after the device registers
     * again, while DPS goes on assigning it (a device deleted from the application behind DPS's back, issue 12's
     * "re-registration storm"). {@link #remember} undoes it.
     */
    public void forget(String deviceId) {
        registry.getOrCreate(deviceId).forgotten(true);
    }

    public void remember(String deviceId) {
        registry.find(deviceId).ifPresent(d -> d.forgotten(false));
    }

    /**
     * Takes a hub down for every device while DPS goes on assigning it: it refuses connections or answers 503 to every
     * device request, with {@code Retry-After} when {@code retryAfterSeconds} is given, until {@link #endOutage}.
     * DPS is left as it is, so a device that re-registers is assigned the same hub again, as real DPS does when the
     * hub is not removed from the enrollment (docs/azure-protocol.md §2.8).
     */
    public void startOutage(HubId hub, HubOutage how, OptionalInt retryAfterSeconds) {
        hubs.get(hub).startOutage(how, retryAfterSeconds);
    }

    /** The hub serves again (listening, if it refused connections). */
    public void endOutage(HubId hub) {
        hubs.get(hub).endOutage();
    }

    // --- commands (cloud-to-device) --------------------------------------------------------------------------

    /**
     * Queues a command for the device as IoT Central does for one sent with "queue if offline": a cloud-to-device
     * message whose body is {@code payload} and whose {@code method-name} property is {@code name}
     * ({@code component*name} for a command of a component), living {@code ttl}.
     *
     * @throws IllegalStateException when the device's queue is full (50)
     */
    public SimCommands.Command queueCommand(String deviceId, String name, byte[] payload, Duration ttl) {
        registry.getOrCreate(deviceId);
        return commands.enqueue(deviceId, name, payload, ttl, clock.instant());
    }

    /** The device's commands: queued and locked ones oldest first, then the last completed, rejected or expired. */
    public List<SimCommands.Command> commands(String deviceId) {
        return commands.of(deviceId, clock.instant());
    }

    /** The stand-ins for the clouds' downlink APIs (The Things Stack, ChirpStack, Helium, LORIOT). */
    public SimClouds clouds() {
        return clouds;
    }

    // --- telemetry and counters ------------------------------------------------------------------------------

    /** The last accepted messages, oldest first (at most {@link SimulatorOptions#keepRecentMessages()}). */
    public List<SimMessage> messages() {
        return telemetry.recent();
    }

    public long messagesAccepted(HubId hub) {
        return telemetry.acceptedBy(hub);
    }

    public long messagesAcceptedFrom(String deviceId) {
        return telemetry.acceptedFrom(deviceId);
    }

    /** How many accepted messages carried this {@code iothub-messageid} (exactly-once means 1). */
    public int messagesAcceptedWithId(String messageId) {
        return telemetry.acceptedWithMessageId(messageId);
    }

    public SimCounters counters() {
        Map<HubId, Long> requests = new EnumMap<>(HubId.class);
        hubs.forEach((id, hub) -> requests.put(id, hub.requests()));
        return new SimCounters(dps.registrationsReceived(), dps.registrationsInFlight(), dps.maxRegistrationsInFlight(),
                requests, telemetry.perHub(), telemetry.perDevice(), telemetry.messageIdCounts(), dps.registrationsPerDevice());
    }

    /** Zeroes the counters and forgets recent messages; devices and faults stay. */
    public void resetCounters() {
        telemetry.reset();
        dps.resetCounters();
        hubs.values().forEach(SimHub::resetCounters);
    }

    // --- control API -----------------------------------------------------------------------------------------

    /**
     * The HTTP control API, for a server that mounts it at its own {@code /sim/} path (the DPS port serves it too).
     *
     * @param pathAfterSim e.g. {@code devices} or {@code /devices/sensor-1/failover}
     * @param query        decoded query parameters
     */
    public AdminResponse admin(String method, String pathAfterSim, Map<String, String> query) {
        return admin.handle(method, pathAfterSim, query);
    }

    @Override
    public void close() {
        clouds.stop();
        dps.stop();
        hubs.values().forEach(SimHub::stop);
        adminWork.shutdownNow();
        loops.close();
    }

    DeviceView view(SimDevice device) {
        Instant now = clock.instant();
        Optional<HubId> hub = device.hub(now);
        Optional<SimMessage> last = telemetry.lastFrom(device.id());
        return new DeviceView(device.id(), hub, hub.map(h -> hubs.get(h).host()), device.modelId(), device.blocked(),
                device.disabled(), device.awaitingApproval(), device.forgotten(), device.failbackAt(now), telemetry.acceptedFrom(device.id()),
                last.map(SimMessage::body), last.map(SimMessage::receivedAt));
    }

    private SimResponse adminOverHttp(SimRequest request) {
        String path = request.rawPath().substring("/sim".length());
        StringBuilder decoded = new StringBuilder();
        for (String segment : Query.segments(path)) {
            decoded.append('/').append(segment);
        }
        AdminResponse response = admin.handle(request.method(), decoded.toString(), Query.parse(request.rawQuery()),
                request.body());
        return new SimResponse(response.status(), Map.of("Content-Type", AdminResponse.CONTENT_TYPE),
                response.json().getBytes(StandardCharsets.UTF_8), false);
    }

    private static String newIdScope() {
        byte[] bytes = new byte[4];
        new SecureRandom().nextBytes(bytes);
        return "0ne" + HexFormat.of().withUpperCase().formatHex(bytes);
    }

    private static Secret newGroupKey() {
        byte[] bytes = new byte[64];
        new SecureRandom().nextBytes(bytes);
        return Secret.of(Base64.getEncoder().encodeToString(bytes));
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
