package dev.iotcbridge.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.net.EventLoops;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The simulated Device Provisioning Service's device API (docs/azure-protocol.md, section 2): register, poll the operation, look up a
 * registration. Its fault controls, and the counters a test needs to check a client's registration cap.
 */
public final class SimDps {

    /**
     * A registration id (docs/azure-protocol.md §2.2): up to 128 of {@code A-Z a-z 0-9 - . _ :}, ending with an
     * alphanumeric or '-'.
     */
    private static final Pattern REGISTRATION_ID = Pattern.compile("[A-Za-z0-9._:\\-]{0,127}[A-Za-z0-9\\-]");
    private static final Set<String> API_VERSIONS = Set.of("2018-11-01", "2019-03-31", "2021-06-01", "2021-10-01");
    private static final int MAX_BODY_BYTES = 64 * 1024;
    private static final Object HANDED_OVER = new Object();

    /** One registration counted from its PUT until its outcome has been answered (or its operation abandoned). */
    private final class Ticket {
        private final AtomicBoolean open = new AtomicBoolean(true);

        Ticket() {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        }

        void close() {
            if (open.compareAndSet(true, false)) {
                inFlight.decrementAndGet();
            }
        }
    }

    private record Operation(String id, String registrationId, SimDevice.Registration outcome, Instant created,
                             Instant readyAt, Ticket ticket) {
    }

    private final String idScope;
    private final DeviceRegistry registry;
    private final DeviceKeys keys;
    private final Function<HubId, String> hubHosts;
    private final Function<SimRequest, SimResponse> admin;
    private final int retryAfterSeconds;
    private final boolean assignAtOnce;
    private final Duration operationTtl;
    private final FaultControl faults;
    private final Handler handler;
    private final Listener listener;
    private volatile String host = "127.0.0.1:0";
    private final Map<String, Operation> operations = new ConcurrentHashMap<>();
    /** The registration ticket each request carries from arrival to answer. Requests compare by identity. */
    private final Map<SimRequest, Object> tickets = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Operation> operationsByAge = new ConcurrentLinkedQueue<>();
    private final AtomicLong received = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile HubId forcedHub;
    private volatile DpsRefusal refusal;
    /** Register calls per registration id (lower-cased: DPS ids are case-insensitive), since start or reset. */
    private final Map<String, AtomicInteger> perDevice = new ConcurrentHashMap<>();

    SimDps(SimulatorOptions options, String idScope, DeviceRegistry registry, DeviceKeys keys,
           Function<HubId, String> hubHosts, Function<SimRequest, SimResponse> admin, Clock clock, EventLoops loops,
           SslContext tls, Executor adminWork) {
        this.idScope = idScope;
        this.registry = registry;
        this.keys = keys;
        this.hubHosts = hubHosts;
        this.admin = admin;
        this.retryAfterSeconds = options.retryAfterSeconds();
        this.assignAtOnce = options.assignOnRegister();
        this.operationTtl = options.operationTtl();
        this.refusal = options.dpsRefusal();
        this.faults = new FaultControl(options.seed());
        this.handler = new Handler(clock, adminWork);
        this.listener = new Listener(handler, loops, tls);
    }

    void start(int port) throws IOException {
        listener.start(port);
        host = "127.0.0.1:" + listener.port();
    }

    void stop() {
        listener.stop();
    }

    /** {@code 127.0.0.1:<port>}, the host[:port] a client uses in place of global.azure-devices-provisioning.net. */
    public String host() {
        return host;
    }

    public int port() {
        return listener.port();
    }

    /** Errors, cut answers and latency DPS injects (the {@code /sim/} control API is exempt). */
    public FaultControl faults() {
        return faults;
    }

    /** From now on every registration, of a new device or a known one, is assigned to {@code hub}. */
    public void assignAllTo(HubId hub) {
        this.forcedHub = hub;
    }

    /** Back to the normal allocation: new devices by hash of their id, known devices keep their hub. */
    public void allocateNormally() {
        this.forcedHub = null;
    }

    /** From now on blocked, unapproved and disabled devices are refused this way. */
    public void refuseAs(DpsRefusal value) {
        this.refusal = java.util.Objects.requireNonNull(value, "refusal");
    }

    public DpsRefusal refusal() {
        return refusal;
    }

    /** Register calls (PUT) received per registration id, lower-cased, whatever their answer. */
    public Map<String, Integer> registrationsPerDevice() {
        Map<String, Integer> copy = new java.util.TreeMap<>();
        perDevice.forEach((id, n) -> copy.put(id, n.get()));
        return copy;
    }

    /** Register calls received (PUT), whatever their answer. */
    public long registrationsReceived() {
        return received.get();
    }

    /** Registrations between their PUT and the answer that tells their outcome. */
    public int registrationsInFlight() {
        purgeAbandoned(handler.clock.instant());
        return inFlight.get();
    }

    /** Most registrations in flight at once since start or the last counter reset. */
    public int maxRegistrationsInFlight() {
        return maxInFlight.get();
    }

    void resetCounters() {
        received.set(0);
        perDevice.clear();
        maxInFlight.set(inFlight.get());
        handler.resetCounters();
    }

    /** The hub a new device would be assigned to now. */
    HubId allocationFor(String registrationId) {
        HubId forced = forcedHub;
        return forced != null ? forced : DeviceRegistry.allocate(registrationId);
    }

    private void purgeAbandoned(Instant now) {
        for (Operation op = operationsByAge.peek(); op != null && op.created().plus(operationTtl).isBefore(now);
             op = operationsByAge.peek()) {
            if (operationsByAge.remove(op)) {
                operations.remove(op.id());
                op.ticket().close();
            }
        }
    }

    private final class Handler extends Endpoint {

        Handler(Clock clock, Executor adminWork) {
            super(clock, SimDps.this.faults, MAX_BODY_BYTES, adminWork);
        }

        @Override
        boolean exempt(SimRequest request) {
            String path = request.rawPath();
            return path.equals("/sim") || path.startsWith("/sim/");
        }

        @Override
        void arrived(SimRequest request) {
            if (request.method().equals("PUT") && request.rawPath().endsWith("/register")) {
                received.incrementAndGet();
                String[] path = Query.segments(request.rawPath());
                if (path.length == 4) {
                    perDevice.computeIfAbsent(path[2].toLowerCase(java.util.Locale.ROOT), k -> new AtomicInteger())
                            .incrementAndGet();
                }
                purgeAbandoned(clock.instant());
                tickets.put(request, new Ticket());
            }
        }

        @Override
        void answered(SimRequest request) {
            if (tickets.remove(request) instanceof Ticket ticket) {
                ticket.close();
            }
        }

        @Override
        SimResponse errorReply(SimError error) {
            return ErrorBodies.dps(error, clock.instant());
        }

        @Override
        SimResponse serve(SimRequest request) {
            if (exempt(request)) {
                return admin.apply(request);
            }
            byte[] body = request.body();
            String[] path = Query.segments(request.rawPath());
            String method = request.method();
            boolean register = path.length == 4 && path[3].equals("register") && method.equals("PUT");
            boolean poll = path.length == 5 && path[3].equals("operations") && method.equals("GET");
            boolean lookup = path.length == 3 && method.equals("POST");
            if (path.length < 3 || !path[1].equals("registrations") || !(register || poll || lookup)) {
                return errorReply(SimError.of(404, 404000, "NotFound", "No such operation: the device API is PUT "
                        + "{idScope}/registrations/{id}/register, GET …/operations/{operationId}, POST {idScope}/registrations/{id}."));
            }
            String apiVersion = Query.parse(request.rawQuery()).get("api-version");
            if (apiVersion == null || !API_VERSIONS.contains(apiVersion)) {
                return errorReply(SimError.of(400, 400001, "BadApiVersion", "The api-version query parameter is missing or "
                        + "not supported: " + (apiVersion == null ? "(none)" : apiVersion) + "; supported: "
                        + String.join(", ", API_VERSIONS.stream().sorted().toList()) + "."));
            }
            String registrationId = path[2];
            if (!REGISTRATION_ID.matcher(registrationId).matches()) {
                return errorReply(SimError.argumentInvalid("Invalid RegistrationId: up to 128 characters of letters, "
                        + "digits, '-', '.', '_', ':', ending with a letter, digit or '-'."));
            }
            Instant now = clock.instant();
            // the ID scope names the provisioning service: without one there is no enrollment whose key could check
            // the token, so an unknown scope is "not found" before it is "unauthorized" (docs/azure-protocol.md §2.6)
            if (!path[0].equalsIgnoreCase(idScope)) {
                return errorReply(SimError.unknownIdScope());
            }
            Optional<String> refused = SasCheck.problem(request.header("authorization"),
                    idScope + "/registrations/" + registrationId, SasCheck.Audience.DPS, keys.keyOf(registrationId), now);
            if (refused.isPresent()) {
                return errorReply(SimError.unauthorized().withMessage("Unauthorized: " + refused.get() + "."));
            }
            if (!poll && refusal == DpsRefusal.UNAUTHORIZED
                    && registry.find(registrationId).filter(d -> d.blocked() || d.disabled() || d.awaitingApproval()).isPresent()) {
                return errorReply(SimError.deviceRefusedByDps());
            }
            if (register) {
                return register(request, registrationId, body, now);
            }
            if (poll) {
                return poll(request, registrationId, path[4], now);
            }
            return lookup(registrationId);
        }

        private SimResponse register(SimRequest call, String registrationId, byte[] body, Instant now) {
            if (body == null) {
                return errorReply(SimError.argumentInvalid("The request body is too large."));
            }
            Optional<JsonNode> request = Json.parse(new String(body, java.nio.charset.StandardCharsets.UTF_8));
            if (request.isEmpty() || !request.get().isObject()) {
                return errorReply(SimError.argumentInvalid("The request body must be a JSON object "
                        + "{\"registrationId\": …, \"payload\"?: {…}}."));
            }
            JsonNode given = request.get().get("registrationId");
            if (given != null && !(given.isTextual() && given.asText().equalsIgnoreCase(registrationId))) {
                return errorReply(SimError.argumentInvalid("The body's registrationId differs from the one in the path."));
            }
            JsonNode payload = request.get().get("payload");
            if (payload != null && payload.isTextual()) {
                // Microsoft's Java client sends the payload as a JSON string holding the object
                Optional<JsonNode> parsed = Json.parse(payload.asText());
                if (parsed.isEmpty()) {
                    return errorReply(SimError.argumentInvalid("The payload must be valid JSON."));
                }
                payload = parsed.get();
            }
            if (payload != null && payload.isNull()) {
                payload = null;
            }
            SimDevice device = registry.getOrCreate(registrationId);
            SimDevice.Registration outcome = device.register(payload, DeviceRegistry.allocate(registrationId), forcedHub, now);
            Ticket ticket = (Ticket) tickets.get(call);
            String operationId = "5." + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + "." + UUID.randomUUID();
            if (assignAtOnce) {
                return SimResponse.json(200, operationJson(operationId, registrationId, device, outcome));
            }
            Operation op = new Operation(operationId, registrationId, outcome, now, now.plusSeconds(retryAfterSeconds), ticket);
            tickets.put(call, HANDED_OVER); // in flight until its outcome is polled
            operations.put(operationId, op);
            operationsByAge.add(op);
            return assigning(operationId);
        }

        private SimResponse poll(SimRequest request, String registrationId, String operationId, Instant now) {
            Operation op = operations.get(operationId);
            if (op == null || !op.registrationId().equalsIgnoreCase(registrationId)) {
                return errorReply(SimError.of(404, 404000, "NotFound", "Unknown operation " + operationId + "."));
            }
            if (now.isBefore(op.readyAt())) {
                return assigning(operationId);
            }
            tickets.put(request, op.ticket());
            SimDevice device = registry.getOrCreate(op.registrationId());
            return SimResponse.json(200, operationJson(operationId, op.registrationId(), device, op.outcome()));
        }

        private SimResponse lookup(String registrationId) {
            Optional<SimDevice.Registration> last = registry.find(registrationId).flatMap(SimDevice::lastRegistration);
            if (last.isEmpty()) {
                return errorReply(SimError.of(404, 404000, "NotFound", "No registration for " + registrationId + "."));
            }
            SimDevice device = registry.getOrCreate(registrationId);
            return SimResponse.json(200, registrationState(device.id(), device, last.get()));
        }

        private SimResponse assigning(String operationId) {
            ObjectNode json = Json.MAPPER.createObjectNode();
            json.put("operationId", operationId);
            json.put("status", "assigning");
            return SimResponse.json(202, json, Map.of("Retry-After", Integer.toString(retryAfterSeconds)));
        }
    }

    private ObjectNode operationJson(String operationId, String registrationId, SimDevice device,
                                     SimDevice.Registration outcome) {
        ObjectNode json = Json.MAPPER.createObjectNode();
        json.put("operationId", operationId);
        json.put("status", outcome.status());
        json.set("registrationState", registrationState(registrationId, device, outcome));
        return json;
    }

    /** The DeviceRegistrationResult (docs/azure-protocol.md §2.3). */
    private ObjectNode registrationState(String registrationId, SimDevice device, SimDevice.Registration outcome) {
        ObjectNode state = Json.MAPPER.createObjectNode();
        state.put("registrationId", registrationId);
        if (outcome.created() != null) {
            state.put("createdDateTimeUtc", Json.dpsTime(outcome.created()));
        }
        if (outcome.hub() != null) {
            state.put("assignedHub", hubHosts.apply(outcome.hub()));
            state.put("deviceId", device.id());
        }
        state.put("status", outcome.status());
        if (outcome.substatus() != null) {
            state.put("substatus", outcome.substatus());
        }
        if (outcome.status().equals("failed")) {
            state.put("errorCode", 400209);
            state.put("errorMessage", "The device is waiting for approval by an operator or has been blocked by an operator.");
        }
        state.put("lastUpdatedDateTimeUtc", Json.dpsTime(outcome.updated()));
        state.put("etag", outcome.etag());
        if (outcome.payload() != null) {
            state.set("payload", outcome.payload());
        }
        return state;
    }
}
