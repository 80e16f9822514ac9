package dev.iotcbridge.sim;

import dev.iotcbridge.net.EventLoops;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * One simulated IoT hub: the HTTPS send-event API (docs/azure-protocol.md, section 3) and the cloud-to-device API
 * ({@link SimDeviceBound}, section 4) for the devices DPS assigned to it, and its fault controls. Its name, as DPS
 * returns it in {@code assignedHub}, is {@code 127.0.0.1:<port>}.
 */
public final class SimHub {

    /** Device-to-cloud message limit: body, system property values and application property names and values. */
    static final int MAX_MESSAGE_BYTES = 256 * 1024;

    private static final Set<String> API_VERSIONS = Set.of(
            "2016-11-14", "2018-06-30", "2019-03-30", "2019-10-01", "2020-03-13", "2020-09-30", "2021-04-12");
    private static final String APP_PREFIX = "iothub-app-";

    private final HubId id;
    private final DeviceRegistry registry;
    private final DeviceKeys keys;
    private final TelemetryLog telemetry;
    private final HubErrorStyle errorStyle;
    private final FaultControl faults;
    private final Handler handler;
    private final Listener listener;
    private final SimDeviceBound deviceBound;
    private volatile String host = "127.0.0.1:0";
    /** The 503 every device request gets while the hub is down in the SERVICE_UNAVAILABLE way; null when it serves. */
    private volatile SimError unavailable;
    private volatile HubOutage outage;

    SimHub(HubId id, DeviceRegistry registry, DeviceKeys keys, TelemetryLog telemetry, HubErrorStyle errorStyle,
           long seed, Clock clock, EventLoops loops, SslContext tls, Executor exemptWork) {
        this(id, registry, keys, telemetry, errorStyle, seed, clock, loops, tls, exemptWork, new SimCommands());
    }

    /** @param commands the devices' cloud-to-device queues, shared by both hubs (a device's queue follows it) */
    SimHub(HubId id, DeviceRegistry registry, DeviceKeys keys, TelemetryLog telemetry, HubErrorStyle errorStyle,
           long seed, Clock clock, EventLoops loops, SslContext tls, Executor exemptWork, SimCommands commands) {
        this.id = id;
        this.registry = registry;
        this.keys = keys;
        this.telemetry = telemetry;
        this.errorStyle = errorStyle;
        this.faults = new FaultControl(seed);
        this.handler = new Handler(clock, exemptWork);
        this.listener = new Listener(handler, loops, tls);
        this.deviceBound = new SimDeviceBound(commands, registry, keys, id, handler::errorReply);
    }

    /** Listens on loopback; {@code name} is the host part of the name DPS assigns ({@code <name>:<port>}). */
    void start(int port, String name) throws IOException {
        listener.start(port);
        host = name + ":" + listener.port();
    }

    void stop() {
        listener.stop();
    }

    public HubId id() {
        return id;
    }

    /** {@code 127.0.0.1:<port>}: the hub's name in DPS answers and in the SAS token's resource. */
    public String host() {
        return host;
    }

    public int port() {
        return listener.port();
    }

    /** Errors, cut answers and latency this hub injects. */
    public FaultControl faults() {
        return faults;
    }

    /** Stops listening and drops every open connection: connects are refused until {@link #acceptConnections()}. */
    public void refuseConnections() {
        listener.stop();
    }

    /** Listens again, on the same port (which also ends an outage that refused connections). */
    public void acceptConnections() {
        if (outage == HubOutage.REFUSE_CONNECTIONS) {
            outage = null;
        }
        try {
            listener.restart();
        } catch (IOException e) {
            throw new UncheckedIOException("hub " + id + " cannot listen on port " + listener.port() + " again", e);
        }
    }

    public boolean acceptingConnections() {
        return listener.running();
    }

    /**
     * Down for every device until {@link #endOutage()}: connects refused, or every device request (send-event and
     * cloud-to-device) answered 503 503001 ServiceUnavailable, with {@code Retry-After} when given, taking no effect.
     */
    public synchronized void startOutage(HubOutage how, OptionalInt retryAfterSeconds) {
        java.util.Objects.requireNonNull(how, "how");
        endOutage();
        outage = how;
        if (how == HubOutage.REFUSE_CONNECTIONS) {
            refuseConnections();
        } else {
            SimError error = SimError.serviceUnavailable();
            unavailable = retryAfterSeconds.isPresent() ? error.withRetryAfter(retryAfterSeconds.getAsInt()) : error;
        }
    }

    /** Serves again; a no-op when the hub is not down. */
    public synchronized void endOutage() {
        outage = null;
        unavailable = null;
        acceptConnections();
    }

    /** How the hub is down, if it is. */
    public Optional<HubOutage> outage() {
        return Optional.ofNullable(outage);
    }

    public long messagesAccepted() {
        return telemetry.acceptedBy(id);
    }

    /** Requests received (whatever their answer) since start or the last counter reset. */
    public long requests() {
        return handler.requests();
    }

    /** Most requests this hub held at once (received, not yet answered). */
    public int maxInFlight() {
        return handler.maxInFlight();
    }

    void resetCounters() {
        handler.resetCounters();
    }

    private final class Handler extends Endpoint {

        Handler(Clock clock, Executor exemptWork) {
            super(clock, SimHub.this.faults, MAX_MESSAGE_BYTES, exemptWork);
        }

        @Override
        SimResponse errorReply(SimError error) {
            return ErrorBodies.hub(error, errorStyle, clock.instant());
        }

        @Override
        SimResponse serve(SimRequest request) {
            SimError down = unavailable;
            if (down != null) {
                return errorReply(down);
            }
            byte[] body = request.body();
            String[] path = Query.segments(request.rawPath());
            if (SimDeviceBound.matches(path)) {
                String v = Query.parse(request.rawQuery()).get("api-version");
                return deviceBound.serve(request, path, host(), v != null && API_VERSIONS.contains(v) ? v : null, clock.instant());
            }
            if (path.length != 4 || !path[0].equals("devices") || !path[2].equals("messages") || !path[3].equals("events")) {
                return errorReply(SimError.of(404, 404000, "NotFound",
                        "This hub serves only POST /devices/{deviceId}/messages/events."));
            }
            if (!request.method().equals("POST")) {
                return errorReply(SimError.of(405, 405000, "MethodNotAllowed", "Send device events with POST."));
            }
            String apiVersion = Query.parse(request.rawQuery()).get("api-version");
            if (apiVersion == null || !API_VERSIONS.contains(apiVersion)) {
                return errorReply(SimError.argumentInvalid("The api-version query parameter is missing or not supported: "
                        + (apiVersion == null ? "(none)" : apiVersion) + "."));
            }
            String deviceId = path[1];
            Instant now = clock.instant();
            String host = host();
            Optional<String> refused = SasCheck.problem(request.header("authorization"),
                    host + "/devices/" + deviceId, SasCheck.Audience.HUB, keys.keyOf(deviceId), now);
            if (refused.isPresent()) {
                return errorReply(SimError.unauthorized().withMessage("Unauthorized: " + refused.get() + "."));
            }
            Optional<SimDevice> known = registry.findExact(deviceId);
            if (known.flatMap(d -> d.disabledIn(now)).equals(Optional.of(id))) {
                return errorReply(SimError.iotHubUnauthorized("DEVICE_DISABLED"));
            }
            Optional<SimDevice> device = known.filter(d -> d.hub(now).equals(Optional.of(id)));
            if (device.isEmpty() || device.get().forgotten()) {
                return errorReply(SimError.deviceNotFound().withMessage("Device " + deviceId + " not registered in hub "
                        + host + "."));
            }
            // IoT Central's documented answers (docs/azure-protocol.md §3.5): 401 IoTHubUnauthorized, the sub-code in the message
            if (device.get().blocked()) {
                return errorReply(SimError.iotHubUnauthorized("DEVICE_BLOCKED"));
            }
            if (device.get().disabled()) {
                return errorReply(SimError.iotHubUnauthorized("DEVICE_DISABLED"));
            }
            if (body == null) {
                return errorReply(SimError.messageTooLarge());
            }
            Message message = Message.of(request.headers());
            if (body.length + message.propertyBytes > MAX_MESSAGE_BYTES) {
                return errorReply(SimError.messageTooLarge());
            }
            telemetry.record(new SimMessage(deviceId, id, host, new String(body, StandardCharsets.UTF_8),
                    message.properties, message.system("iothub-messageid"), message.system("iothub-contenttype"),
                    message.system("iothub-contentencoding"), message.system("dt-subject"), now));
            return SimResponse.NO_CONTENT;
        }
    }

    /** The message properties carried in headers (docs/azure-protocol.md §3.3). */
    private record Message(Map<String, String> properties, Map<String, String> systemProperties, int propertyBytes) {

        private static final Set<String> SYSTEM = Set.of("iothub-messageid", "iothub-correlationid",
                "iothub-contenttype", "iothub-contentencoding", "dt-subject", "iothub-userid", "iothub-to",
                "iothub-expiry", "iothub-ack", "iothub-creation-time-utc");

        /** @param headers first values by lower-cased name */
        static Message of(Map<String, String> headers) {
            Map<String, String> app = new LinkedHashMap<>();
            Map<String, String> system = new LinkedHashMap<>();
            int bytes = 0;
            for (Map.Entry<String, String> h : headers.entrySet()) {
                String name = h.getKey();
                String value = h.getValue();
                if (name.startsWith(APP_PREFIX)) {
                    String key = name.substring(APP_PREFIX.length());
                    app.put(key, value);
                    bytes += key.length() + value.length();
                } else if (SYSTEM.contains(name)) {
                    system.put(name, value);
                    bytes += value.length();
                }
            }
            return new Message(app, system, bytes);
        }

        Optional<String> system(String name) {
            return Optional.ofNullable(systemProperties.get(name));
        }
    }

    @Override
    public String toString() {
        return "hub-" + id.name().toLowerCase(Locale.ROOT) + " (" + host() + ")";
    }
}
