package dev.iotcbridge.transform;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a route brings to commands (docs/commands.md): its downlink mapping ({@code transforms/{route}.downlink.jq},
 * command in, bytes and port out) and the hosts its transform's {@code # @downlink-hosts} directive allows downlink
 * requests to when the route's {@code downlink_hosts} app setting does not say otherwise.
 *
 * @param mapping        the compiled mapping; empty when the route has none (the default encoding alone applies)
 * @param mappingProblem why the mapping file did not load: the route then receives no command, rather than reject
 *                       every one while the operator fixes the file
 * @param defaultHosts   host names, a leading '.' allowing subdomains
 */
public record RouteDownlinks(Optional<RouteTransform> mapping, Optional<String> mappingProblem, List<String> defaultHosts) {

    public static final RouteDownlinks NONE = new RouteDownlinks(Optional.empty(), Optional.empty(), List.of());

    public RouteDownlinks {
        defaultHosts = List.copyOf(defaultHosts);
    }

    /**
     * Whether a route setting is a secret: its name ends in {@code key} ({@code api_key}). A secret never reaches a
     * transform's {@code $config}; a downlink request names it ({@code {"setting": "api_key"}}) and the bridge puts it
     * in the request's header itself, so no transform output, log or CLI print can carry it.
     */
    public static boolean isSecretSetting(String name) {
        return name.toLowerCase(Locale.ROOT).endsWith("key");
    }

    /** A route's settings without its secrets: what {@code $config} holds. */
    static Map<String, String> visibleSettings(Map<String, String> settings) {
        if (settings.keySet().stream().noneMatch(RouteDownlinks::isSecretSetting)) {
            return settings;
        }
        Map<String, String> visible = new TreeMap<>(settings);
        visible.keySet().removeIf(RouteDownlinks::isSecretSetting);
        return visible;
    }
}
