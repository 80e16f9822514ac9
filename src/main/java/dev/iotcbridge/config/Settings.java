package dev.iotcbridge.config;

import dev.iotcbridge.config.Setting.Form;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Every setting of the bridge, read once at start into one immutable object. Each component carries the one
 * declaration of its setting ({@link Setting}: app-setting name, default, range, meaning); {@link #from} reads every
 * component by that declaration and its type, so a setting is added by adding its component, and README's settings
 * table and local.settings.json.example are checked against these declarations by a test. The names are the app
 * settings of the Function App (the {@code Values} of local.settings.json locally, or environment variables).
 */
public record Settings(
        @Setting(name = "IOTC_ID_SCOPE", shown = "— (local: simulator)",
                meaning = "the IoT Central application's ID scope (Permissions > Device connection groups)")
        Optional<String> idScope,

        @Setting(name = "IOTC_GROUP_KEY", form = Form.GROUP_KEY,
                meaning = "the SAS-IoT-Devices group's primary key. On Azure, a Key Vault reference, never a literal")
        Optional<Secret> groupKey,

        @Setting(name = "IOTC_GROUP_KEY_SECONDARY", form = Form.GROUP_KEY,
                meaning = "the group's secondary key: tried when DPS rejects the primary's token (401 with 401002 or no code), so you can rotate keys with no downtime")
        Optional<Secret> groupKeySecondary,

        @Setting(name = "IOTC_DPS_HOST", fallback = "global.azure-devices-provisioning.net", form = Form.HOST_PORT,
                meaning = "the DPS endpoint devices are provisioned through (a regional or private endpoint, or the simulator)")
        String dpsHost,

        @Setting(name = "IOTC_DPS_API_VERSION", fallback = "2021-10-01", meaning = "DPS device API version")
        String dpsApiVersion,

        @Setting(name = "IOTC_HUB_API_VERSION", fallback = "2021-04-12", meaning = "IoT Hub send-event API version")
        String hubApiVersion,

        @Setting(name = "IOTC_DEFAULT_MODEL_ID", meaning = "model id (DTMI) for devices whose transform gives none")
        Optional<String> defaultModelId,

        @Setting(name = "BRIDGE_TRANSFORMS_DIR", shown = "the `transforms` folder shipped beside the jar",
                meaning = "where the `{route}.jq` files are")
        Optional<Path> transformsDir,

        @Setting(name = ROUTE_SETTING_PREFIX + "<ROUTE>_<NAME>",
                meaning = "a route's own setting, seen by its transform as `$config.<name>` (e.g. "
                        + "`BRIDGE_ROUTE_SIGFOX_PAYLOAD_CONFIG`); the route part ends at the first `_`, so a route that "
                        + "needs app settings is named with letters and digits only (query settings work for every route)")
        Map<String, Map<String, String>> routeSettings,

        @Setting(name = "BRIDGE_REQUEST_BUDGET_MS", fallback = "4000", min = 100, max = 600_000, unit = ChronoUnit.MILLIS,
                meaning = "how long one call may spend on provisioning, retries and back-off before it answers 503 "
                        + "(TTS and ChirpStack wait 5 s)")
        Duration requestBudget,

        @Setting(name = "BRIDGE_MAX_BODY_BYTES", fallback = "262144", min = 1, max = 64 * 1024 * 1024,
                meaning = "largest webhook body (413 above)")
        int maxBodyBytes,

        @Setting(name = "BRIDGE_MAX_JSON_DEPTH", fallback = "64", min = 2, max = 1_000,
                meaning = "deepest JSON nesting (400 above)")
        int maxJsonDepth,

        @Setting(name = "BRIDGE_MAX_MESSAGES_PER_CALL", fallback = "100", min = 1, max = 10_000,
                meaning = "most messages one call's transform may produce")
        int maxMessagesPerCall,

        @Setting(name = "BRIDGE_DEVICE_CACHE_SIZE", fallback = "100000", min = 1, max = 100_000_000,
                meaning = "devices whose link (hub, key, token) is cached")
        long deviceCacheSize,

        @Setting(name = "BRIDGE_DEVICE_CACHE_EXPIRY_MINUTES", fallback = "1440", min = 1, max = 525_600,
                unit = ChronoUnit.MINUTES, meaning = "how long an unused device link is kept")
        Duration deviceCacheExpiry,

        @Setting(name = "BRIDGE_DPS_REGISTRATIONS_PER_MINUTE", fallback = "200", min = 1, max = 100_000,
                meaning = "DPS admission rate: device provisionings started per minute by this instance, each at most "
                        + "two DPS operations (a status lookup and a register; polls are not operations); DPS allows "
                        + "1,000 operations a minute per DPS, shared by every instance and device (docs/azure-protocol.md §2). "
                        + "A registration the rate cannot start now is queued for its turn (up to a minute ahead) and its "
                        + "call answered 503 with a `Retry-After` from that turn")
        int registrationsPerMinute,

        // at most 1,000: a burst beyond DPS's 1,000 operations a minute would be throttled by DPS by construction
        @Setting(name = "BRIDGE_DPS_REGISTRATION_BURST", fallback = "100", min = 1, max = 1_000,
                meaning = "DPS admission burst: provisionings that may start at once, so that a site of up to this "
                        + "many new devices goes live in one DPS round (about 3 s) within the call's budget")
        int registrationBurst,

        @Setting(name = "BRIDGE_DPS_REFUSAL_BACKOFF_SECONDS", fallback = "60", min = 0, max = 86_400, unit = ChronoUnit.SECONDS,
                meaning = "how long a device DPS refused is not registered again (calls for it answer 403/429)")
        Duration refusalBackoff,

        // DPS rate-limits registrations and asks devices to re-register sparingly (docs/azure-protocol.md §2); the
        // reference bridge allows one registration per device per minute
        @Setting(name = "BRIDGE_REPROVISION_WINDOW_SECONDS", fallback = "60", min = 1, max = 3_600, unit = ChronoUnit.SECONDS,
                meaning = "how long a device re-registered after its hub failed it is not registered again: meanwhile its "
                        + "messages are retried on the new hub and answered 503 with `Retry-After`; the first delivered message ends it")
        Duration reprovisionWindow,

        @Setting(name = "BRIDGE_SAS_TTL_MINUTES", fallback = "60", min = 5, max = 1_440, unit = ChronoUnit.MINUTES,
                meaning = "lifetime of the SAS tokens the bridge mints")
        Duration tokenTtl,

        @Setting(name = "BRIDGE_ALLOW_HTTP", fallback = "false",
                meaning = "plain HTTP to DPS and hubs: tests and the simulator only, refused unless `IOTC_DPS_HOST` is a loopback address")
        boolean allowHttp,

        @Setting(name = "BRIDGE_FUNCTION_KEY",
                meaning = "local server only: the key required as `?code=` or `x-functions-key` (on Azure the host checks function keys)")
        Optional<Secret> functionKey,

        @Setting(name = "BRIDGE_BIND_ADDRESS", fallback = "127.0.0.1", meaning = "local server only: address to listen on")
        String bindAddress,

        @Setting(name = "BRIDGE_PORT", fallback = "7071", min = 0, max = 65_535,
                meaning = "local server only: port (also `serve --port N`)")
        int port,

        @Setting(name = QUEUE_CONNECTION, meaning = "durable mode: Azure Storage connection string (Azurite, or an "
                + "account that allows shared keys); when set, the identity settings below are ignored, as by the Functions host")
        Optional<Secret> queueConnection,

        @Setting(name = QUEUE_CONNECTION + "__queueServiceUri",
                meaning = "durable mode on an identity instead of a connection string: the queue service's URI, "
                        + "`https://<account>.queue.core.windows.net` (the Functions host's identity-based connection, "
                        + "docs/azure-protocol.md §6)")
        Optional<URI> queueServiceUri,

        @Setting(name = QUEUE_CONNECTION + "__serviceUri",
                meaning = "the host's alias of `" + QUEUE_CONNECTION + "__queueServiceUri`, which wins when both are set")
        Optional<URI> queueServiceUriAlias,

        @Setting(name = QUEUE_CONNECTION + "__credential", form = Form.MANAGED_IDENTITY,
                meaning = "`managedidentity`: the app's managed identity; left out, Azure Identity's default chain "
                        + "(a developer's sign-in off Azure)")
        Optional<String> queueCredential,

        @Setting(name = QUEUE_CONNECTION + "__clientId", form = Form.CLIENT_ID,
                meaning = "the user-assigned managed identity's client id; left out, the system-assigned identity")
        Optional<String> queueClientId,

        @Setting(name = "BRIDGE_QUEUE_NAME", form = Form.QUEUE_NAME,
                meaning = "durable mode: queue name; durable mode is on when it and a connection string or a queue "
                        + "service URI are set; failures that can never succeed go to `<name>-poison` with their reason")
        Optional<String> queueName,

        @Setting(name = "BRIDGE_QUEUE_MAX_DEQUEUE_COUNT", fallback = "10", min = 1, max = 1_000,
                meaning = "durable mode: deliveries of one message before a transient failure poisons it (= host.json `maxDequeueCount`)")
        int queueMaxDequeueCount,

        @Setting(name = "BRIDGE_QUEUE_BACKOFF_SECONDS", fallback = "5", min = 0, max = 3_600, unit = ChronoUnit.SECONDS,
                meaning = "durable mode, local worker: first wait after a transient failure, doubling with jitter")
        Duration queueBackoff,

        // Storage keeps a message invisible for at most 7 days
        @Setting(name = "BRIDGE_QUEUE_MAX_BACKOFF_SECONDS", fallback = "300", min = 0, max = 604_800, unit = ChronoUnit.SECONDS,
                meaning = "durable mode, local worker: longest wait, unless the hub's Retry-After asks for more")
        Duration queueMaxBackoff,

        @Setting(name = "BRIDGE_QUEUE_WORKERS", fallback = "8", min = 1, max = 256,
                meaning = "durable mode, local worker: messages forwarded at once")
        int queueWorkers,

        // the hub's cloud-to-device receives are metered and throttled per unit (docs/azure-protocol.md §4)
        @Setting(name = "BRIDGE_DOWNLINK_MIN_INTERVAL_SECONDS", fallback = "60", min = 0, max = 86_400, unit = ChronoUnit.SECONDS,
                meaning = "commands: the least time between two receives of one device's queued commands, whatever its "
                        + "uplinks offer, so a chatty device cannot spend the hub's quota (docs/commands.md)")
        Duration downlinkMinInterval) {

    public static final String ROUTE_SETTING_PREFIX = "BRIDGE_ROUTE_";
    /**
     * The connection name of durable mode's queues: the queue trigger, the poison output binding and the HTTP side
     * all read it, as one setting (a connection string) or as the {@code <name>__...} family of an identity.
     */
    public static final String QUEUE_CONNECTION = "BRIDGE_QUEUE_CONNECTION";
    /** Suffix of the poison queue's name; fixed, because the Functions host moves messages to {@code <queue>-poison}. */
    public static final String POISON_SUFFIX = "-poison";

    /** The rules between settings; each single setting was checked against its own declaration by {@link #from}. */
    public Settings {
        routeSettings = deepCopy(routeSettings);
        if (idScope.isPresent() && groupKey.isEmpty()) {
            throw new InvalidSettingException("IOTC_GROUP_KEY is required when IOTC_ID_SCOPE is set: "
                    + "the SAS-IoT-Devices enrollment group's primary key from IoT Central (Permissions > Device connection groups)");
        }
        if (allowHttp && !isLoopback(dpsHost)) {
            // plain HTTP would carry SAS tokens in clear text over a real network
            throw new InvalidSettingException("BRIDGE_ALLOW_HTTP is only for the simulator and tests on this machine; IOTC_DPS_HOST "
                    + dpsHost + " is not a loopback address");
        }
        if (queueServiceUri.isEmpty()) {
            queueServiceUri = queueServiceUriAlias;
        }
        boolean account = queueConnection.isPresent() || queueServiceUri.isPresent();
        if (queueName.isPresent() && !account) {
            throw new InvalidSettingException("durable mode needs its storage account beside BRIDGE_QUEUE_NAME: "
                    + "BRIDGE_QUEUE_CONNECTION (a connection string) or BRIDGE_QUEUE_CONNECTION__queueServiceUri "
                    + "(an identity); neither is set");
        }
        if (account && queueName.isEmpty()) {
            throw new InvalidSettingException("durable mode needs both its storage account and BRIDGE_QUEUE_NAME; only "
                    + (queueConnection.isPresent() ? "BRIDGE_QUEUE_CONNECTION" : "BRIDGE_QUEUE_CONNECTION__queueServiceUri")
                    + " is set");
        }
        if (queueMaxBackoff.compareTo(queueBackoff) < 0) {
            throw new InvalidSettingException("BRIDGE_QUEUE_MAX_BACKOFF_SECONDS (" + queueMaxBackoff.toSeconds()
                    + ") must not be less than BRIDGE_QUEUE_BACKOFF_SECONDS (" + queueBackoff.toSeconds() + ")");
        }
    }

    /**
     * Reads settings from name/value pairs (environment, app settings, local.settings.json Values).
     *
     * @throws InvalidSettingException naming the first setting that is malformed, and the rule it breaks
     */
    public static Settings from(Map<String, String> values) {
        SettingReader reader = new SettingReader(values);
        RecordComponent[] components = Settings.class.getRecordComponents();
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            args[i] = reader.read(components[i]);
        }
        try {
            return CANONICAL.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r; // a rule between settings
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the settings record cannot be built from its own components", e);
        }
    }

    /** Every declared setting, in declaration order: what README's table and local.settings.json.example list. */
    public static List<Setting> declarations() {
        return DECLARATIONS;
    }

    private static final Constructor<Settings> CANONICAL;
    private static final List<Setting> DECLARATIONS;

    static {
        RecordComponent[] components = Settings.class.getRecordComponents();
        List<Setting> declared = new ArrayList<>(components.length);
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            Setting s = components[i].getAnnotation(Setting.class);
            if (s == null) {
                throw new ExceptionInInitializerError("settings component " + components[i].getName() + " has no @Setting");
            }
            declared.add(s);
            types[i] = components[i].getType();
        }
        DECLARATIONS = List.copyOf(declared);
        try {
            CANONICAL = Settings.class.getDeclaredConstructor(types);
        } catch (NoSuchMethodException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static boolean isLoopback(String hostAndPort) {
        String host = hostAndPort.startsWith("[") ? hostAndPort.substring(1, Math.max(1, hostAndPort.indexOf(']')))
                : hostAndPort.contains(":") ? hostAndPort.substring(0, hostAndPort.lastIndexOf(':')) : hostAndPort;
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    }

    /** Settings of a route (names lower-case), empty when it has none. */
    public Map<String, String> routeSettings(String route) {
        return routeSettings.getOrDefault(route.toLowerCase(Locale.ROOT), Map.of());
    }

    /** Whether the bridge runs against the embedded simulator (no IoT Central configured). */
    public boolean simulated() {
        return idScope.isEmpty();
    }

    /** Whether webhooks are queued and delivered by a worker (durable mode). */
    public boolean durable() {
        return queueName.isPresent();
    }

    /** The queue that keeps what durable mode could not deliver, with the reason; empty unless durable. */
    public Optional<String> queuePoisonName() {
        return queueName.map(n -> n + POISON_SUFFIX);
    }

    private static Map<String, Map<String, String>> deepCopy(Map<String, Map<String, String>> in) {
        Map<String, Map<String, String>> out = new TreeMap<>();
        in.forEach((k, v) -> out.put(k, Collections.unmodifiableMap(new TreeMap<>(v))));
        return Collections.unmodifiableMap(out);
    }
}
