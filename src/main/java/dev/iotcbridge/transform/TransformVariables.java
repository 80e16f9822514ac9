package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What a transform sees besides the body: the call's query, headers, route and path, less the call's secrets.
 *
 * <p>Made once per call from the maps the adapter built, without copying them; the secrets are left out where a
 * transform reads the values, and the jq values {@code $query} and {@code $headers} are built the first time the
 * transform reads them (no shipped transform reads {@code $headers}). Safe to share between threads (a constant set of
 * variables is): two threads may both build a value the first time, and either result is the same.
 */
public final class TransformVariables {

    /** Headers a transform never sees: credentials of the call itself or of the sender's own API. */
    static final Set<String> SECRET_HEADERS = Set.of(
            "authorization", "proxy-authorization", "cookie", "x-functions-key", "x-downlink-apikey");
    /** The function key, when it is passed as {@code ?code=}. */
    static final Set<String> SECRET_QUERY = Set.of("code");

    private final Map<String, String> query;
    private final Map<String, String> headers;
    private final String route;
    private final String path;
    private volatile JsonNode queryJson;
    private volatile JsonNode headersJson;

    /**
     * @param query   query parameters (the last value of a repeated one), secrets included; not copied, so the caller
     *                no longer changes it
     * @param headers request headers, names lower-case, secrets included; not copied either
     * @param route   the route name
     * @param path    the path after the route, without a leading '/', "" when none (e.g. a DevEUI from a URL template)
     */
    public TransformVariables(Map<String, String> query, Map<String, String> headers, String route, String path) {
        this.query = query;
        this.headers = headers;
        this.route = route;
        this.path = path;
    }

    /** The query parameters, {@code code} (the function key) left out. */
    public Map<String, String> query() {
        return visible(query, SECRET_QUERY);
    }

    /** The headers, authorization headers and the like left out. */
    public Map<String, String> headers() {
        return visible(headers, SECRET_HEADERS);
    }

    public String route() {
        return route;
    }

    public String path() {
        return path;
    }

    /** {@code $query}: built on first use. */
    JsonNode queryJson() {
        JsonNode built = queryJson;
        if (built == null) {
            built = json(query, SECRET_QUERY);
            queryJson = built;
        }
        return built;
    }

    /** {@code $headers}: built on first use. */
    JsonNode headersJson() {
        JsonNode built = headersJson;
        if (built == null) {
            built = json(headers, SECRET_HEADERS);
            headersJson = built;
        }
        return built;
    }

    private static ObjectNode json(Map<String, String> values, Set<String> hidden) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        values.forEach((k, v) -> {
            if (!hidden.contains(k)) {
                node.put(k, v);
            }
        });
        return node;
    }

    private static Map<String, String> visible(Map<String, String> values, Set<String> hidden) {
        for (String h : hidden) {
            if (values.containsKey(h)) {
                Map<String, String> copy = new HashMap<>(values);
                copy.keySet().removeAll(hidden);
                return Collections.unmodifiableMap(copy);
            }
        }
        return Collections.unmodifiableMap(values);
    }
}
