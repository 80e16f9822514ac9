package dev.iotcbridge.sim;

import java.util.Locale;
import java.util.Map;

/**
 * One HTTP request as a simulated service sees it, read whole before it is served. Requests compare by identity:
 * DPS keys a registration's ticket on the request object.
 */
final class SimRequest {

    private final String method;
    private final String rawPath;
    private final String rawQuery;
    private final Map<String, String> headers;
    private final byte[] body;

    /**
     * @param target    the request-target as sent: {@code /path?query}, or an absolute URI
     * @param headers   first value of each header, by lower-cased name
     * @param body      null when the body was longer than the service's limit (it was read and dropped)
     */
    SimRequest(String method, String target, Map<String, String> headers, byte[] body) {
        this.method = method;
        String pathAndQuery = originForm(target);
        int q = pathAndQuery.indexOf('?');
        this.rawPath = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
        this.rawQuery = q < 0 ? null : pathAndQuery.substring(q + 1);
        this.headers = headers;
        this.body = body;
    }

    String method() {
        return method;
    }

    /** The path, still percent-encoded. */
    String rawPath() {
        return rawPath;
    }

    /** The query string, still percent-encoded, or null when there is none. */
    String rawQuery() {
        return rawQuery;
    }

    /** The header's first value, or null. */
    String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** First value of each header, by lower-cased name. */
    Map<String, String> headers() {
        return headers;
    }

    /** The body, or null when it was longer than the service's limit. */
    byte[] body() {
        return body;
    }

    @Override
    public String toString() {
        return method + " " + rawPath;
    }

    /** {@code http://host:port/p?q} (absolute form, which a server must accept) becomes {@code /p?q}. */
    private static String originForm(String target) {
        if (target.startsWith("/")) {
            return target;
        }
        int scheme = target.indexOf("://");
        if (scheme < 0) {
            return target.isEmpty() ? "/" : target; // "*" (OPTIONS) or something no route matches
        }
        int slash = target.indexOf('/', scheme + 3);
        int query = target.indexOf('?', scheme + 3);
        if (slash < 0 || (query >= 0 && query < slash)) {
            return query < 0 ? "/" : "/" + target.substring(query);
        }
        return target.substring(slash);
    }
}
