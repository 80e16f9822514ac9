package dev.iotcbridge.server;

import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookResponse;
import dev.iotcbridge.config.Secret;
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
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The bridge as a plain HTTP server, at the Functions host's URL shape ({@code /api/{route}[/path]}), so a sender
 * configured against it works unchanged against Azure. A thin adapter: everything else is the handler's.
 *
 * <p>It serves on the process's shared event loops, the ones the IoT Hub client uses: a webhook read on a loop is sent
 * to the hub and answered from that same loop, with no thread per request and no hand-off between threads (on two
 * cores the hand-off alone cost more than the bridge's work). Each connection is Netty's HTTP handlers plus the
 * bridge's {@link WebhookChannelHandler} ({@link #initConnection}).
 */
public final class LocalServer implements AutoCloseable {

    /** How long a request's body may pause before the request is answered 408 and its connection closed. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /** How long a keep-alive connection may sit between requests before it is closed. */
    public static final Duration IDLE_TIMEOUT = Duration.ofMinutes(2);

    /**
     * Longer request lines and headers than Netty's defaults (4 and 8 KB): some webhook senders put their whole
     * payload in the query, or carry long tokens in headers. Body pieces of up to 64 KB mean fewer messages per body.
     */
    private static final HttpDecoderConfig DECODER = new HttpDecoderConfig()
            .setMaxInitialLineLength(16 * 1024)
            .setMaxHeaderSize(64 * 1024)
            .setMaxChunkSize(64 * 1024);

    private final Channel listener;
    private final ChannelGroup connections;

    /** Something else the server mounts under {@code /sim/} (the embedded simulator's control API). */
    public interface AdminRoute {
        WebhookResponse handle(String method, String pathAfterSim, Map<String, String> query);
    }

    private LocalServer(Channel listener, ChannelGroup connections) {
        this.listener = listener;
        this.connections = connections;
    }

    /** {@link #start(String, int, WebhookHandler, Optional, int, Optional, EventLoops, Executor, Duration, Duration)} with the default timeouts. */
    public static LocalServer start(String bindAddress, int port, WebhookHandler handler, Optional<Secret> functionKey,
                                    int maxBodyBytes, Optional<AdminRoute> admin, EventLoops loops, Executor blocking)
            throws IOException {
        return start(bindAddress, port, handler, functionKey, maxBodyBytes, admin, loops, blocking, REQUEST_TIMEOUT, IDLE_TIMEOUT);
    }

    /**
     * Binds and starts serving.
     *
     * @param loops          the process's event loops: connections are accepted and served on them; the server does not own
     *                       them, so {@link #close()} leaves them running
     * @param blocking       runs what may block (the admin route); it must not cap concurrency
     * @param requestTimeout how long a request's body may pause
     * @param idleTimeout    how long a keep-alive connection may sit between requests
     * @throws IOException when the address cannot be bound
     */
    public static LocalServer start(String bindAddress, int port, WebhookHandler handler, Optional<Secret> functionKey,
                                    int maxBodyBytes, Optional<AdminRoute> admin, EventLoops loops, Executor blocking,
                                    Duration requestTimeout, Duration idleTimeout) throws IOException {
        WebhookChannelHandler.Shared shared = new WebhookChannelHandler.Shared(
                new RequestRouter(functionKey, maxBodyBytes, admin.isPresent()), handler, admin, blocking,
                requestTimeout.toNanos());
        // stayClosed: a connection accepted while the server closes is closed as it joins
        ChannelGroup connections = new DefaultChannelGroup("local-server", ImmediateEventExecutor.INSTANCE, true);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // a client that half-closes after its request still gets its answer (or the 400 for a body cut short)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        initConnection(ch.pipeline(), shared, idleTimeout);
                    }
                });
        ChannelFuture bound = bootstrap.bind(new InetSocketAddress(bindAddress, port)).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw cause instanceof IOException io ? io : new IOException(String.valueOf(cause.getMessage()), cause);
        }
        return new LocalServer(bound.channel(), connections);
    }

    /**
     * One connection's handlers: Netty's for HTTP itself, the shared {@link OneRequestAtATime} for the order of answers,
     * and the bridge's own last.
     */
    static void initConnection(ChannelPipeline pipeline, WebhookChannelHandler.Shared shared, Duration idleTimeout) {
        pipeline.addLast("http", new HttpServerCodec(DECODER))
                // reader idle: a request's body stopped arriving (408); all idle: a keep-alive connection unused
                .addLast("stalls", new IdleStateHandler(false, shared.requestTimeoutNanos(), 0, idleTimeout.toNanos(),
                        TimeUnit.NANOSECONDS))
                .addLast("in-order", new OneRequestAtATime())
                .addLast("keep-alive", new HttpServerKeepAliveHandler())
                .addLast("continue", new ContinueUnlessRefused(shared.router()))
                .addLast("webhooks", new WebhookChannelHandler(shared));
    }

    public int port() {
        return address().getPort();
    }

    /** The address the server is bound to: loopback unless BRIDGE_BIND_ADDRESS says otherwise. */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Stops accepting and closes every open connection; the event loops are their owner's to shut down. */
    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        connections.close().awaitUninterruptibly();
    }
}
