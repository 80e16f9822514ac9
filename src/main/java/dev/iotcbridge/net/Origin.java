package dev.iotcbridge.net;

import java.util.Objects;

/**
 * Where a client connects: scheme, host and port, with the {@code Host} header they make computed once. One instance
 * per server (an IoT hub), shared by every request to it: the connection pool is keyed on it.
 */
public final class Origin {

    private final boolean tls;
    private final String host;
    private final int port;
    private final String hostHeader;
    /** The pool looks its connections up by origin for every request: hashed once, not per lookup. */
    private final int hash;

    private Origin(boolean tls, String host, int port) {
        this.tls = tls;
        this.host = host;
        this.port = port;
        this.hash = Objects.hash(tls, host, port);
        boolean defaultPort = port == (tls ? 443 : 80);
        this.hostHeader = defaultPort ? host : host + ":" + port;
    }

    /**
     * @param scheme   {@code https} or {@code http}
     * @param hostPort {@code host} or {@code host:port}, already checked to be nothing else
     */
    public static Origin of(String scheme, String hostPort) {
        boolean tls = switch (scheme) {
            case "https" -> true;
            case "http" -> false;
            default -> throw new IllegalArgumentException("scheme must be http or https, not '" + scheme + "'");
        };
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            return new Origin(tls, hostPort, tls ? 443 : 80);
        }
        int port = Integer.parseInt(hostPort.substring(colon + 1));
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port out of range in '" + hostPort + "'");
        }
        return new Origin(tls, hostPort.substring(0, colon), port);
    }

    public boolean tls() {
        return tls;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String hostHeader() {
        return hostHeader;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Origin other && tls == other.tls && port == other.port && host.equals(other.host);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return (tls ? "https://" : "http://") + hostHeader;
    }
}
