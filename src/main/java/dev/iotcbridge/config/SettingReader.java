package dev.iotcbridge.config;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads the value of one declared setting from name/value pairs, by the type of the component that holds it and the
 * rules of its {@link Setting}, and says precisely what is wrong with a value it refuses. The value of a secret
 * ({@link Secret}, {@link Setting.Form#GROUP_KEY}) is never echoed.
 */
final class SettingReader {

    private final Map<String, String> values;

    SettingReader(Map<String, String> values) {
        this.values = values;
    }

    /** The component's value: what is set, else the declared default, else empty. */
    Object read(RecordComponent component) {
        Setting s = component.getAnnotation(Setting.class);
        Type type = component.getGenericType();
        if (type == Map.class || (type instanceof ParameterizedType p && p.getRawType() == Map.class)) {
            return family(s);
        }
        Optional<String> text = text(s.name()).or(() -> s.fallback().isEmpty() ? Optional.empty() : Optional.of(s.fallback()));
        if (type instanceof ParameterizedType p && p.getRawType() == Optional.class) {
            return text.map(v -> single(s, p.getActualTypeArguments()[0], v));
        }
        return single(s, type, text.orElseThrow(() -> new IllegalStateException(
                s.name() + " is declared without a default, so its component must be an Optional")));
    }

    private Object single(Setting s, Type type, String v) {
        String name = s.name();
        if (type == String.class) {
            return text(s, v);
        }
        if (type == Secret.class) {
            return Secret.of(s.form() == Setting.Form.GROUP_KEY ? groupKey(name, v) : v);
        }
        if (type == Path.class) {
            return Path.of(v);
        }
        if (type == URI.class) {
            return httpsUri(name, v);
        }
        if (type == boolean.class || type == Boolean.class) {
            return switch (v.toLowerCase(Locale.ROOT)) {
                case "true", "1", "yes" -> true;
                case "false", "0", "no" -> false;
                default -> throw new InvalidSettingException(name + " must be true or false, was '" + v + "'");
            };
        }
        if (type == int.class || type == Integer.class) {
            return (int) number(s, v);
        }
        if (type == long.class || type == Long.class) {
            return number(s, v);
        }
        if (type == Duration.class) {
            if (s.unit() == ChronoUnit.FOREVER) {
                throw new IllegalStateException(name + " is a duration declared without its unit");
            }
            return Duration.of(number(s, v), s.unit());
        }
        throw new IllegalStateException(name + " has a type settings cannot be read as: " + type);
    }

    private long number(Setting s, String v) {
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new InvalidSettingException(s.name() + " must be a whole number, was '" + v + "'");
        }
        if (n < s.min() || n > s.max()) {
            throw new InvalidSettingException(s.name() + " must be between " + s.min() + " and " + s.max() + ", was " + n);
        }
        return n;
    }

    private static String text(Setting s, String v) {
        return switch (s.form()) {
            case ANY, GROUP_KEY -> v;
            case HOST_PORT -> hostPort(s.name(), v);
            case QUEUE_NAME -> queueName(s.name(), v);
            case MANAGED_IDENTITY -> managedIdentity(s.name(), v);
            case CLIENT_ID -> clientId(s.name(), v);
        };
    }

    /** A set value, trimmed; blank counts as not set (local.settings.json.example lists every setting empty). */
    private Optional<String> text(String name) {
        String v = values.get(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    private static String hostPort(String name, String v) {
        try {
            URI uri = new URI("https://" + v + "/");
            if (uri.getHost() != null && uri.getRawUserInfo() == null && "/".equals(uri.getRawPath())
                    && uri.getRawQuery() == null && uri.getRawFragment() == null) {
                return v;
            }
        } catch (URISyntaxException e) {
            // refused below, with the rule
        }
        throw new InvalidSettingException(name + " must be host[:port], e.g. global.azure-devices-provisioning.net, was '" + v + "'");
    }

    private static String queueName(String name, String q) {
        int max = 63 - Settings.POISON_SUFFIX.length();
        if (q.length() < 3 || q.length() > max) {
            throw new InvalidSettingException(name + " must be 3 to " + max + " characters long (the poison queue adds '"
                    + Settings.POISON_SUFFIX + "' within Storage's 63), was '" + q + "' (" + q.length() + ")");
        }
        if (!q.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
            throw new InvalidSettingException(name + " must be an Azure Storage queue name: lower-case letters, digits "
                    + "and single hyphens, starting and ending with a letter or digit, was '" + q + "'");
        }
        return q;
    }

    /** A service URI for an identity-based connection: absolute, https (tokens are only sent over TLS), no query. */
    private static URI httpsUri(String name, String v) {
        URI uri;
        try {
            uri = new URI(v);
        } catch (URISyntaxException e) {
            uri = null;
        }
        if (uri == null || !"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null
                || uri.getRawQuery() != null || uri.getRawUserInfo() != null) {
            // a URI holds no secret (a SAS query is refused): echoing it helps the operator see the typo
            throw new InvalidSettingException(name + " must be the https URI of the queue service, e.g. "
                    + "https://<account>.queue.core.windows.net, was '" + v + "'");
        }
        return uri;
    }

    private static String managedIdentity(String name, String v) {
        if (!v.equalsIgnoreCase("managedidentity")) {
            throw new InvalidSettingException(name + " must be managedidentity (or be left out), was '" + v + "'");
        }
        return v.toLowerCase(Locale.ROOT);
    }

    private static String clientId(String name, String v) {
        if (!v.matches("[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")) {
            throw new InvalidSettingException(name + " must be the client id (a GUID) of the user-assigned managed "
                    + "identity, was '" + v + "'");
        }
        return v;
    }

    private static String groupKey(String name, String v) {
        if (v.startsWith("@Microsoft.KeyVault(")) {
            // App Service passes a reference it could not resolve through as the value itself (docs/azure-protocol.md §6)
            throw new InvalidSettingException(name + " is a Key Vault reference the platform could not resolve: check "
                    + "that the identity named by the app's keyVaultReferenceIdentity has the role Key Vault Secrets User "
                    + "on the secret, and the secret exists (the portal shows the reference's status under Environment variables)");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(v);
        } catch (IllegalArgumentException e) {
            // never echo the value: it is a key
            throw new InvalidSettingException(name + " must be the base64 key shown by IoT Central, and is not valid base64");
        }
        if (bytes.length < 16) {
            throw new InvalidSettingException(name + " decodes to " + bytes.length
                    + " bytes; an IoT Central group key has 64, check that it was copied whole");
        }
        return v;
    }

    /**
     * A family such as {@code BRIDGE_ROUTE_<ROUTE>_<NAME>}: every set {@code PREFIX<GROUP>_<NAME>} becomes
     * {@code result[group][name]}, both lower-case; the group part ends at the first '_'.
     */
    private Map<String, Map<String, String>> family(Setting s) {
        String pattern = s.name();
        String prefix = pattern.substring(0, pattern.indexOf('<'));
        Map<String, Map<String, String>> byGroup = new TreeMap<>();
        values.forEach((name, value) -> {
            if (!name.startsWith(prefix) || value == null || value.isBlank()) {
                return;
            }
            String rest = name.substring(prefix.length());
            int cut = rest.indexOf('_');
            if (cut <= 0 || cut == rest.length() - 1) {
                throw new InvalidSettingException(name + " must be " + pattern + ": a group name and a setting name after '"
                        + prefix + "', joined by '_'");
            }
            byGroup.computeIfAbsent(rest.substring(0, cut).toLowerCase(Locale.ROOT), k -> new TreeMap<>())
                    .put(rest.substring(cut + 1).toLowerCase(Locale.ROOT), value.trim());
        });
        return byGroup;
    }
}
