package dev.iotcbridge.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Every setting of the bridge, read once at start into one immutable object. The names are the app
 * settings of the Function App (the {@code Values} of local.settings.json locally, or environment
 * variables); README "Settings" documents each one.
 *
 * @param idScope             IoT Central ID scope; absent locally means "run against the embedded simulator"
 * @param groupKey            SAS enrollment group primary key (base64)
 * @param groupKeySecondary   optional secondary key, tried when DPS refuses the primary with 401 (key rotation)
 * @param dpsHost             DPS host[:port]
 * @param dpsApiVersion       DPS device API version
 * @param hubApiVersion       IoT Hub send-event API version
 * @param allowHttp           talk plain HTTP to DPS and hubs: only for tests and the simulator
 * @param defaultModelId      model id for devices whose transform gives none
 * @param transformsDir       folder of {@code {route}.jq} files; empty means the folder shipped with the package
 * @param requestBudget       how long one webhook call may spend on retries and back-off before it answers 503
 * @param maxBodyBytes        largest accepted webhook body (413 above)
 * @param maxJsonDepth        deepest accepted JSON nesting (400 above)
 * @param maxMessagesPerCall  most canonical messages one call's transform may output
 * @param deviceCacheSize     most devices whose link (hub, key, token) is kept
 * @param deviceCacheExpiry   how long an unused device link is kept
 * @param maxRegistrations    most DPS registrations in flight at once, protecting the DPS quota
 * @param refusalBackoff      how long a device that DPS refused (blocked, failed) is not registered again
 * @param tokenTtl            lifetime of the SAS tokens the bridge mints
 * @param functionKey         key the local server requires as {@code ?code=} or {@code x-functions-key}
 * @param bindAddress         address the local server and simulator listen on
 * @param port                port of the local server
 * @param queueConnection     Azure Storage connection string for durable mode ({@code BRIDGE_QUEUE_CONNECTION})
 * @param queueServiceUri     durable mode on an Entra ID identity instead: the queue service's https URI
 *                            ({@code BRIDGE_QUEUE_CONNECTION__queueServiceUri}, or its alias {@code __serviceUri}), the
 *                            settings the Functions host reads for the same connection name (docs/azure-protocol.md §6)
 * @param queueCredential     {@code managedidentity} to use the app's managed identity; absent, a developer identity
 *                            is tried first, as the host does outside Azure
 * @param queueClientId       client id of the user-assigned managed identity; absent, the system-assigned one
 * @param queueName           queue name for durable mode; durable mode is on when this and the connection are set.
 *                            Its poison queue is {@code <queueName>-poison}, the name the Functions host uses too
 * @param queueMaxDequeueCount deliveries of one queued message before it goes to the poison queue (durable mode)
 * @param queueBackoff        how long a message that failed transiently stays invisible after its first failure;
 *                            doubles with each further failure (whole seconds: Storage's visibility granularity)
 * @param queueMaxBackoff     the longest such wait, unless the hub's Retry-After asks for longer
 * @param queueWorkers        most queued messages the local delivery worker forwards at once
 * @param routeSettings       per-route settings: {@code BRIDGE_ROUTE_<ROUTE>_<NAME>} becomes
 *                            {@code routeSettings[route][name]}, both lower-case; the route part ends at the first '_'
 */
public record Settings(
        Optional<String> idScope,
        Optional<Secret> groupKey,
        Optional<Secret> groupKeySecondary,
        String dpsHost,
        String dpsApiVersion,
        String hubApiVersion,
        boolean allowHttp,
        Optional<String> defaultModelId,
        Optional<Path> transformsDir,
        Duration requestBudget,
        int maxBodyBytes,
        int maxJsonDepth,
        int maxMessagesPerCall,
        long deviceCacheSize,
        Duration deviceCacheExpiry,
        int maxRegistrations,
        Duration refusalBackoff,
        Duration tokenTtl,
        Optional<Secret> functionKey,
        String bindAddress,
        int port,
        Optional<Secret> queueConnection,
        Optional<URI> queueServiceUri,
        Optional<String> queueCredential,
        Optional<String> queueClientId,
        Optional<String> queueName,
        int queueMaxDequeueCount,
        Duration queueBackoff,
        Duration queueMaxBackoff,
        int queueWorkers,
        Map<String, Map<String, String>> routeSettings) {

    public static final String ROUTE_SETTING_PREFIX = "BRIDGE_ROUTE_";
    /**
     * The connection name of durable mode's queues: the queue trigger, the poison output binding and the HTTP side
     * all read it, as one setting (a connection string) or as the {@code <name>__...} family of an identity.
     */
    public static final String QUEUE_CONNECTION = "BRIDGE_QUEUE_CONNECTION";
    /** Suffix of the poison queue's name; fixed, because the Functions host moves messages to {@code <queue>-poison}. */
    public static final String POISON_SUFFIX = "-poison";

    public Settings {
        routeSettings = deepCopy(routeSettings);
    }

    /** Reads settings from name/value pairs (environment, app settings, local.settings.json Values). */
    public static Settings from(Map<String, String> values) {
        Reader r = new Reader(values);
        Settings s = new Settings(
                r.text("IOTC_ID_SCOPE"),
                r.groupKey("IOTC_GROUP_KEY"),
                r.groupKey("IOTC_GROUP_KEY_SECONDARY"),
                r.text("IOTC_DPS_HOST").orElse("global.azure-devices-provisioning.net"),
                r.text("IOTC_DPS_API_VERSION").orElse("2021-10-01"),
                r.text("IOTC_HUB_API_VERSION").orElse("2021-04-12"),
                r.bool("BRIDGE_ALLOW_HTTP", false),
                r.text("IOTC_DEFAULT_MODEL_ID"),
                r.text("BRIDGE_TRANSFORMS_DIR").map(Path::of),
                Duration.ofMillis(r.integer("BRIDGE_REQUEST_BUDGET_MS", 4_000, 100, 600_000)),
                r.integer("BRIDGE_MAX_BODY_BYTES", 256 * 1024, 1, 64 * 1024 * 1024),
                r.integer("BRIDGE_MAX_JSON_DEPTH", 64, 2, 1_000),
                r.integer("BRIDGE_MAX_MESSAGES_PER_CALL", 100, 1, 10_000),
                r.integer("BRIDGE_DEVICE_CACHE_SIZE", 100_000, 1, 100_000_000),
                Duration.ofMinutes(r.integer("BRIDGE_DEVICE_CACHE_EXPIRY_MINUTES", 24 * 60, 1, 525_600)),
                r.integer("BRIDGE_DPS_MAX_REGISTRATIONS", 16, 1, 10_000),
                Duration.ofSeconds(r.integer("BRIDGE_DPS_REFUSAL_BACKOFF_SECONDS", 60, 0, 86_400)),
                Duration.ofMinutes(r.integer("BRIDGE_SAS_TTL_MINUTES", 60, 5, 1_440)),
                r.text("BRIDGE_FUNCTION_KEY").map(Secret::of),
                r.text("BRIDGE_BIND_ADDRESS").orElse("127.0.0.1"),
                r.integer("BRIDGE_PORT", 7071, 0, 65_535),
                r.text("BRIDGE_QUEUE_CONNECTION").map(Secret::of),
                r.serviceUri(QUEUE_CONNECTION + "__queueServiceUri").or(() -> r.serviceUri(QUEUE_CONNECTION + "__serviceUri")),
                r.credential(QUEUE_CONNECTION + "__credential"),
                r.clientId(QUEUE_CONNECTION + "__clientId"),
                r.queueName("BRIDGE_QUEUE_NAME"),
                r.integer("BRIDGE_QUEUE_MAX_DEQUEUE_COUNT", 10, 1, 1_000),
                Duration.ofSeconds(r.integer("BRIDGE_QUEUE_BACKOFF_SECONDS", 5, 0, 3_600)),
                // Storage keeps a message invisible for at most 7 days
                Duration.ofSeconds(r.integer("BRIDGE_QUEUE_MAX_BACKOFF_SECONDS", 300, 0, 604_800)),
                r.integer("BRIDGE_QUEUE_WORKERS", 8, 1, 256),
                routeSettings(values));
        if (s.idScope.isPresent() && s.groupKey.isEmpty()) {
            throw new InvalidSettingException("IOTC_GROUP_KEY is required when IOTC_ID_SCOPE is set: "
                    + "the SAS-IoT-Devices enrollment group's primary key from IoT Central (Permissions > Device connection groups)");
        }
        if (s.allowHttp && !isLoopback(s.dpsHost)) {
            // plain HTTP would carry SAS tokens in clear text over a real network
            throw new InvalidSettingException("BRIDGE_ALLOW_HTTP is only for the simulator and tests on this machine; IOTC_DPS_HOST "
                    + s.dpsHost + " is not a loopback address");
        }
        boolean account = s.queueConnection.isPresent() || s.queueServiceUri.isPresent();
        if (s.queueName.isPresent() && !account) {
            throw new InvalidSettingException("durable mode needs its storage account beside BRIDGE_QUEUE_NAME: "
                    + "BRIDGE_QUEUE_CONNECTION (a connection string) or BRIDGE_QUEUE_CONNECTION__queueServiceUri "
                    + "(an identity); neither is set");
        }
        if (account && s.queueName.isEmpty()) {
            throw new InvalidSettingException("durable mode needs both its storage account and BRIDGE_QUEUE_NAME; only "
                    + (s.queueConnection.isPresent() ? "BRIDGE_QUEUE_CONNECTION" : "BRIDGE_QUEUE_CONNECTION__queueServiceUri")
                    + " is set");
        }
        if (s.queueMaxBackoff.compareTo(s.queueBackoff) < 0) {
            throw new InvalidSettingException("BRIDGE_QUEUE_MAX_BACKOFF_SECONDS (" + s.queueMaxBackoff.toSeconds()
                    + ") must not be less than BRIDGE_QUEUE_BACKOFF_SECONDS (" + s.queueBackoff.toSeconds() + ")");
        }
        return s;
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

    private static Map<String, Map<String, String>> routeSettings(Map<String, String> values) {
        Map<String, Map<String, String>> byRoute = new TreeMap<>();
        values.forEach((name, value) -> {
            if (!name.startsWith(ROUTE_SETTING_PREFIX) || value == null || value.isBlank()) {
                return;
            }
            String rest = name.substring(ROUTE_SETTING_PREFIX.length());
            int cut = rest.indexOf('_');
            if (cut <= 0 || cut == rest.length() - 1) {
                throw new InvalidSettingException(name + " must be " + ROUTE_SETTING_PREFIX + "<ROUTE>_<NAME>, e.g. "
                        + ROUTE_SETTING_PREFIX + "SIGFOX_PAYLOAD_CONFIG");
            }
            String route = rest.substring(0, cut).toLowerCase(Locale.ROOT);
            String key = rest.substring(cut + 1).toLowerCase(Locale.ROOT);
            byRoute.computeIfAbsent(route, k -> new TreeMap<>()).put(key, value.trim());
        });
        return byRoute;
    }

    private static Map<String, Map<String, String>> deepCopy(Map<String, Map<String, String>> in) {
        Map<String, Map<String, String>> out = new TreeMap<>();
        in.forEach((k, v) -> out.put(k, Collections.unmodifiableMap(new TreeMap<>(v))));
        return Collections.unmodifiableMap(out);
    }

    /** Reads one setting at a time and says precisely what is wrong with it. */
    private record Reader(Map<String, String> values) {

        Optional<String> text(String name) {
            String v = values.get(name);
            return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
        }

        boolean bool(String name, boolean fallback) {
            return text(name).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
                case "true", "1", "yes" -> true;
                case "false", "0", "no" -> false;
                default -> throw new InvalidSettingException(name + " must be true or false, was '" + v + "'");
            }).orElse(fallback);
        }

        int integer(String name, int fallback, int min, int max) {
            Optional<String> v = text(name);
            if (v.isEmpty()) {
                return fallback;
            }
            try {
                int n = Integer.parseInt(v.get());
                if (n < min || n > max) {
                    throw new InvalidSettingException(name + " must be between " + min + " and " + max + ", was " + n);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new InvalidSettingException(name + " must be a whole number, was '" + v.get() + "'");
            }
        }

        /** A service URI for an identity-based connection: absolute, https (tokens are only sent over TLS). */
        Optional<URI> serviceUri(String name) {
            Optional<String> v = text(name);
            if (v.isEmpty()) {
                return Optional.empty();
            }
            URI uri;
            try {
                uri = new URI(v.get());
            } catch (URISyntaxException e) {
                uri = null;
            }
            if (uri == null || !"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null
                    || uri.getRawQuery() != null || uri.getRawUserInfo() != null) {
                // a URI holds no secret: echoing it helps the operator see the typo
                throw new InvalidSettingException(name + " must be the https URI of the queue service, e.g. "
                        + "https://<account>.queue.core.windows.net, was '" + v.get() + "'");
            }
            return Optional.of(uri);
        }

        /** The only credential kind the Functions host documents for a connection: {@code managedidentity}. */
        Optional<String> credential(String name) {
            Optional<String> v = text(name);
            if (v.isPresent() && !v.get().equalsIgnoreCase("managedidentity")) {
                throw new InvalidSettingException(name + " must be managedidentity (or be left out), was '" + v.get() + "'");
            }
            return v.map(c -> c.toLowerCase(Locale.ROOT));
        }

        /** A managed identity's client id: a GUID, as Entra ID shows it. */
        Optional<String> clientId(String name) {
            Optional<String> v = text(name);
            if (v.isPresent() && !v.get().matches("[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")) {
                throw new InvalidSettingException(name + " must be the client id (a GUID) of the user-assigned managed "
                        + "identity, was '" + v.get() + "'");
            }
            return v;
        }

        /** An Azure Storage queue name that leaves room for the poison queue's suffix. */
        Optional<String> queueName(String name) {
            Optional<String> v = text(name);
            if (v.isEmpty()) {
                return v;
            }
            String q = v.get();
            int max = 63 - POISON_SUFFIX.length();
            if (q.length() < 3 || q.length() > max) {
                throw new InvalidSettingException(name + " must be 3 to " + max + " characters long (the poison queue adds '"
                        + POISON_SUFFIX + "' within Storage's 63), was '" + q + "' (" + q.length() + ")");
            }
            if (!q.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
                throw new InvalidSettingException(name + " must be an Azure Storage queue name: lower-case letters, digits "
                        + "and single hyphens, starting and ending with a letter or digit, was '" + q + "'");
            }
            return v;
        }

        Optional<Secret> groupKey(String name) {
            Optional<String> v = text(name);
            if (v.isEmpty()) {
                return Optional.empty();
            }
            if (v.get().startsWith("@Microsoft.KeyVault(")) {
                // App Service passes a reference it could not resolve through as the value itself (docs/azure-protocol.md §6)
                throw new InvalidSettingException(name + " is a Key Vault reference the platform could not resolve: check "
                        + "that the identity named by the app's keyVaultReferenceIdentity has the role Key Vault Secrets User "
                        + "on the secret, and the secret exists (the portal shows the reference's status under Environment variables)");
            }
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(v.get());
            } catch (IllegalArgumentException e) {
                // never echo the value: it is a key
                throw new InvalidSettingException(name + " must be the base64 key shown by IoT Central, and is not valid base64");
            }
            if (bytes.length < 16) {
                throw new InvalidSettingException(name + " decodes to " + bytes.length
                        + " bytes; an IoT Central group key has 64, check that it was copied whole");
            }
            return Optional.of(Secret.of(v.get()));
        }
    }
}
