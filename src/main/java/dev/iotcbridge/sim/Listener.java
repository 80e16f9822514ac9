package dev.iotcbridge.sim;

import dev.iotcbridge.net.EventLoops;
import dev.iotcbridge.net.OneRequestAtATime;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One loopback listener (a hub's or DPS's), which can be stopped and started again on the same port: that is how
 * a hub "refuses connections" (the connect is refused, as when the hub's endpoint goes away during a failover).
 * Its connections live on the simulator's event loops.
 */
final class Listener {

    /** Deep enough that a burst of a thousand concurrent connects is not dropped at the accept queue. */
    private static final int BACKLOG = 4096;
    private static final int MAX_INITIAL_LINE = 64 * 1024;
    /** Large enough that message properties (in headers) reach the hub's own 256 KB check, as with the real hub. */
    private static final int MAX_HEADERS = 512 * 1024;
    private static final int MAX_CHUNK = 64 * 1024;

    private final Endpoint endpoint;
    private final EventLoops loops;
    private final SslContext tls; // null for plain HTTP
    private final ChannelGroup connections = new DefaultChannelGroup("sim-connections", GlobalEventExecutor.INSTANCE);
    private Channel server;
    private volatile int port;

    Listener(Endpoint endpoint, EventLoops loops, SslContext tls) {
        this.endpoint = endpoint;
        this.loops = loops;
        this.tls = tls;
    }

    /**
     * Binds {@code requestedPort} (0 = ephemeral) the first time, the same port on every restart. Never called on an
     * event loop (it waits for the bind).
     */
    synchronized void start(int requestedPort) throws IOException {
        if (server != null) {
            return;
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port != 0 ? port : requestedPort);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannel())
                .option(ChannelOption.SO_BACKLOG, BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ChannelPipeline p = ch.pipeline();
                        if (tls != null) {
                            p.addLast("tls", tls.newHandler(ch.alloc()));
                        }
                        p.addLast("http", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, MAX_CHUNK));
                        // the same pieces as the local server's connections (LocalServer.initConnection)
                        p.addLast("in-order", new OneRequestAtATime());
                        p.addLast("keep-alive", new HttpServerKeepAliveHandler());
                        p.addLast("continue", new HttpServerExpectContinueHandler());
                        p.addLast("endpoint", new HttpConnection(endpoint));
                    }
                });
        ChannelFuture bound = bootstrap.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot listen on " + address + ": " + cause, cause);
        }
        server = bound.channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    synchronized void restart() throws IOException {
        start(port);
    }

    /** Closes the listening socket and every open connection at once. */
    synchronized void stop() {
        if (server != null) {
            server.close().awaitUninterruptibly();
            server = null;
            connections.close().awaitUninterruptibly();
        }
    }

    synchronized boolean running() {
        return server != null;
    }

    int port() {
        return port;
    }
}
