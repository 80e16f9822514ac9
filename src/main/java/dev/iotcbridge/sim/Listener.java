package dev.iotcbridge.sim;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;

/**
 * One loopback listener (a hub's or DPS's), which can be stopped and started again on the same port: that is how
 * a hub "refuses connections" (the connect is refused, as when the hub's endpoint goes away during a failover).
 */
final class Listener {

    /** Deep enough that a burst of a thousand concurrent connects is not dropped at the accept queue. */
    private static final int BACKLOG = 4096;

    private final HttpHandler handler;
    private final Executor executor;
    private final SSLContext tls; // null for plain HTTP
    private HttpServer server;
    private int port;

    Listener(HttpHandler handler, Executor executor, SSLContext tls) {
        this.handler = handler;
        this.executor = executor;
        this.tls = tls;
    }

    /** Binds {@code requestedPort} (0 = ephemeral) the first time, the same port on every restart. */
    synchronized void start(int requestedPort) throws IOException {
        if (server != null) {
            return;
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port != 0 ? port : requestedPort);
        HttpServer s;
        if (tls != null) {
            HttpsServer https = HttpsServer.create(address, BACKLOG);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            s = https;
        } else {
            s = HttpServer.create(address, BACKLOG);
        }
        s.createContext("/", handler);
        s.setExecutor(executor);
        s.start();
        server = s;
        port = s.getAddress().getPort();
    }

    synchronized void restart() throws IOException {
        start(port);
    }

    /** Closes the listening socket and every open connection at once. */
    synchronized void stop() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    synchronized boolean running() {
        return server != null;
    }

    synchronized int port() {
        return port;
    }
}
