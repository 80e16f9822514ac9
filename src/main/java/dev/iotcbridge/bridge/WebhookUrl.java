package dev.iotcbridge.bridge;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one reading of a webhook URL, shared by both adapters so that a call means the same on Azure and locally: the
 * route and the path from {@code /api/{route}[/path]}, and the query. Both adapters hand it the URL as the caller
 * sent it, still percent-encoded: the local server its request target, the Function the URL the Functions host
 * passes on (docs/azure-protocol.md section 5 says why the Function must not take the path or the query from the
 * host's binding data).
 */
public record WebhookUrl(String rawPath, String rawQuery) {

    /** The Functions host's route prefix (host.json {@code extensions.http.routePrefix}), which the local server mimics. */
    public static final String PREFIX = "/api/";

    /** What a URL names: the route (the transform) and the rest of its path, both decoded. */
    public record Target(String route, String path) {
    }

    /**
     * The raw path and query of a request target in origin form ({@code /api/ttn?x=1}) or absolute form
     * ({@code https://host/api/ttn?x=1}, as the Functions host passes it on); the fragment, if any, is dropped.
     */
    public static WebhookUrl of(String requestTarget) {
        int fragment = requestTarget.indexOf('#');
        String target = fragment < 0 ? requestTarget : requestTarget.substring(0, fragment);
        if (!target.startsWith("/")) {
            int scheme = target.indexOf("://");
            if (scheme < 0) {
                target = "?"; // "*" or garbage: no route matches it
            } else {
                int path = target.indexOf('/', scheme + 3);
                int query = target.indexOf('?', scheme + 3);
                target = path < 0 || (query >= 0 && query < path) ? (query < 0 ? "/" : "/" + target.substring(query)) : target.substring(path);
            }
        }
        int question = target.indexOf('?');
        return question < 0 ? new WebhookUrl(target, null) : new WebhookUrl(target.substring(0, question), target.substring(question + 1));
    }

    /** What this URL names under {@link #PREFIX}; see {@link #target(String)}. */
    public Optional<Target> target() {
        return target(rawPath);
    }

    /** The query parameters; see {@link #query(String)}. */
    public Map<String, String> query() {
        return query(rawQuery);
    }

    /**
     * The route and path of a raw path such as {@code /api/ttn/a84041000181c150}; empty when the path is not under
     * {@link #PREFIX} or names no route. The route is the first segment after the prefix; the path is everything after
     * it without the separating '/' ("" when none), each decoded as a path ('+' stays a plus).
     */
    public static Optional<Target> target(String rawPath) {
        if (rawPath == null || !rawPath.startsWith(PREFIX) || rawPath.length() == PREFIX.length()) {
            return Optional.empty();
        }
        String rest = rawPath.substring(PREFIX.length());
        int slash = rest.indexOf('/');
        String route = segment(slash < 0 ? rest : rest.substring(0, slash));
        String path = slash < 0 ? "" : segment(rest.substring(slash + 1));
        return Optional.of(new Target(route, path));
    }

    /**
     * Query parameters of a raw query string (without '?'), form-decoded ('+' is a space). A name given twice keeps
     * its last value; a malformed escape is kept as sent, for the transform to judge.
     */
    public static Map<String, String> query(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return Map.of();
        }
        Map<String, String> query = new HashMap<>();
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            query.put(queryPart(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : queryPart(pair.substring(eq + 1)));
        }
        return query;
    }

    private static String queryPart(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    private static String segment(String segment) {
        try {
            // a path segment: '+' is a plus, not a space
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return segment;
        }
    }
}
