package dev.iotcbridge.downlink;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a route's downlink requests may go (docs/commands.md). A push URL can come from the caller (The Things Stack
 * sends it in {@code X-Downlink-Push}, Helium in the body), and the request carries an API key, so the bridge only
 * requests a URL that is {@code https} (plain {@code http} only to this machine, with BRIDGE_ALLOW_HTTP, for tests)
 * on a host the operator allows: the route's {@code downlink_hosts} app setting if set (never the query, which the
 * caller writes), else its transform's {@code @downlink-hosts}; plus the host of its {@code api_url} app setting. A
 * leading '.' allows the subdomains of a domain. Anything else is refused before any command is received.
 */
final class DownlinkHosts {

    private final List<String> allowed;
    private final boolean allowLoopbackHttp;

    private DownlinkHosts(List<String> allowed, boolean allowLoopbackHttp) {
        this.allowed = allowed;
        this.allowLoopbackHttp = allowLoopbackHttp;
    }

    /**
     * @param appSettings the route's app settings ({@code BRIDGE_ROUTE_<ROUTE>_<NAME>}), lower-case names
     * @param directive   the transform's {@code @downlink-hosts}
     */
    static DownlinkHosts of(Map<String, String> appSettings, List<String> directive, boolean allowLoopbackHttp) {
        List<String> hosts = new ArrayList<>();
        String configured = appSettings.get("downlink_hosts");
        if (configured != null && !configured.isBlank()) {
            for (String h : configured.split("[\\s,]+")) {
                if (!h.isEmpty()) {
                    hosts.add(h.toLowerCase(Locale.ROOT));
                }
            }
        } else {
            hosts.addAll(directive);
        }
        String api = appSettings.get("api_url");
        if (api != null) {
            try {
                String host = new URI(api.trim()).getHost();
                if (host != null) {
                    hosts.add(host.toLowerCase(Locale.ROOT));
                }
            } catch (URISyntaxException e) {
                // an api_url that is no URL allows nothing; the request built from it is refused by name
            }
        }
        return new DownlinkHosts(List.copyOf(hosts), allowLoopbackHttp);
    }

    /** The URL as a request can be made, or why it is refused (naming the host, never the path, which may hold a key). */
    Target check(String url) throws Refused {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new Refused("the downlink URL is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost();
        if (host == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw new Refused("the downlink URL must be scheme://host[:port]/path, with no user info");
        }
        host = host.toLowerCase(Locale.ROOT);
        boolean loopback = host.equals("127.0.0.1") || host.equals("localhost");
        if (!scheme.equals("https") && !(scheme.equals("http") && loopback && allowLoopbackHttp)) {
            throw new Refused("the downlink URL for " + host + " is " + (scheme.isEmpty() ? "without scheme" : scheme)
                    + ", and a request carrying an API key goes over https only");
        }
        if (!allows(host)) {
            throw new Refused("host " + host + " is not among the route's allowed downlink hosts " + allowed
                    + " (app setting BRIDGE_ROUTE_<ROUTE>_DOWNLINK_HOSTS)");
        }
        int port = uri.getPort() > 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        return new Target(scheme, host, port, path);
    }

    boolean allows(String host) {
        for (String a : allowed) {
            if (a.startsWith(".") ? host.endsWith(a) && host.length() > a.length() : host.equals(a)) {
                return true;
            }
        }
        return false;
    }

    List<String> allowed() {
        return allowed;
    }

    /** A checked URL, split as the HTTP client takes it. */
    record Target(String scheme, String host, int port, String pathAndQuery) {
        String hostPort() {
            return host + ":" + port;
        }

        @Override
        public String toString() {
            return scheme + "://" + host; // never the path: Helium's holds the downlink key
        }
    }

    /** A URL the bridge will not request. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String reason) {
            super(reason, null, false, false);
        }
    }
}
