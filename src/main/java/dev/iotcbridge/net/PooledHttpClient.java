package dev.iotcbridge.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.X509TrustManager;

/**
 * An HTTP/1.1 client on the shared {@link EventLoops}: a request made on an event loop is written, waited for and
 * answered on that loop, from a keep-alive connection of that loop's own pool, with no lock and no thread hand-off.
 * A request made from any other thread is handed to a loop once. Each pool is touched only by its loop's thread.
 *
 * <p>What it does for the caller, because the hub's send-event and cloud-to-device APIs (and the clouds' downlink APIs)
 * need it and nothing more: one request at a time per connection, a timeout per request (the caller's remaining budget), TLS with host name verification, idle
 * connections closed after a while, and one retry on a fresh connection when a pooled one turns out closed before
 * any byte of the answer came back (the server dropped an idle connection as the request went out, as OkHttp
 * also retries). A request never gets a second try once the server has started answering it.
 */
public final class PooledHttpClient {

    /**
     * The largest answer read whole: a cloud-to-device message's body is at most 64 KB (docs/azure-protocol.md §4), and
     * an answer past this fails its request rather than arriving cut.
     */
    public static final int MAX_ANSWER_BYTES = 64 * 1024;

    private final EventLoops loops;
    private final Bootstrap bootstrap;
    private final SslContext tls;
    private final Duration connectTimeout;
    private final int maxIdlePerOrigin;
    private final int idleSeconds;
    private final int maxBodyBytes;
    /** Idle connections by origin, one map per loop thread. */
    private final FastThreadLocal<Map<Origin, ArrayDeque<Channel>>> idle = new FastThreadLocal<>() {
        @Override
        protected Map<Origin, ArrayDeque<Channel>> initialValue() {
            return new HashMap<>();
        }
    };

    /**
     * @param trust           the certificates to trust, or null for the JVM's default trust store
     * @param maxIdlePerOrigin connections kept open per origin and loop once idle; the rest are closed when released
     * @param idleTimeout     an idle connection is closed after this long (servers drop them too, without telling)
     * @param maxBodyBytes    how much of an answer's body is kept; the rest is read and dropped
     */
    public PooledHttpClient(EventLoops loops, X509TrustManager trust, Duration connectTimeout, int maxIdlePerOrigin,
                            Duration idleTimeout, int maxBodyBytes) {
        if (maxIdlePerOrigin < 0 || maxBodyBytes < 0 || maxBodyBytes > MAX_ANSWER_BYTES || connectTimeout.isNegative() || connectTimeout.isZero()
                || idleTimeout.toSeconds() < 1) {
            throw new IllegalArgumentException("connect timeout and idle timeout (whole seconds) must be positive, "
                    + "connection and body limits not negative");
        }
        this.loops = loops;
        this.connectTimeout = connectTimeout;
        this.maxIdlePerOrigin = maxIdlePerOrigin;
        this.idleSeconds = (int) Math.min(Integer.MAX_VALUE, idleTimeout.toSeconds());
        this.maxBodyBytes = maxBodyBytes;
        try {
            this.tls = SslContextBuilder.forClient().trustManager(trust).build();
        } catch (SSLException e) {
            throw new IllegalStateException("no TLS client context: " + e.getMessage(), e);
        }
        this.bootstrap = new Bootstrap()
                .channel(loops.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
    }

    /**
     * POSTs {@code body} to {@code origin}{@code pathAndQuery}. The future completes on an event loop with the
     * answer, or exceptionally with an {@link IOException} when there was none (connect, TLS, closed connection,
     * timeout). {@code headers} must not hold Host or Content-Length: they are the client's.
     */
    public CompletableFuture<ReceivedResponse> post(Origin origin, String pathAndQuery, HttpHeaders headers,
                                                    byte[] body, long timeoutNanos) {
        return request(HttpMethod.POST, origin, pathAndQuery, headers, body, timeoutNanos);
    }

    /**
     * {@link #post} with another method: the C2D API receives with GET and settles with DELETE and POST. A body that is
     * empty is sent as {@code Content-Length: 0}.
     */
    public CompletableFuture<ReceivedResponse> request(HttpMethod method, Origin origin, String pathAndQuery,
                                                       HttpHeaders headers, byte[] body, long timeoutNanos) {
        return request(method, origin, pathAndQuery, headers, body, timeoutNanos, maxBodyBytes);
    }

    /**
     * @param maxAnswerBytes how much of this answer's body is kept, for an answer whose body is the point (a
     *                       cloud-to-device message, up to {@link #MAX_ANSWER_BYTES}) rather than an error description
     */
    public CompletableFuture<ReceivedResponse> request(HttpMethod method, Origin origin, String pathAndQuery,
                                                       HttpHeaders headers, byte[] body, long timeoutNanos,
                                                       int maxAnswerBytes) {
        if (maxAnswerBytes < 0 || maxAnswerBytes > MAX_ANSWER_BYTES) {
            throw new IllegalArgumentException("an answer body is kept up to " + MAX_ANSWER_BYTES + " bytes");
        }
        Exchange exchange = new Exchange(method, origin, pathAndQuery, headers, body, timeoutNanos, maxAnswerBytes);
        EventLoop loop = loops.loopForCaller();
        if (loop.inEventLoop()) {
            start(exchange, loop);
        } else {
            loop.execute(() -> start(exchange, loop));
        }
        return exchange.result;
    }

    private void start(Exchange exchange, EventLoop loop) {
        exchange.timeout = loop.schedule(exchange::timedOut, Math.max(1, exchange.timeoutNanos), TimeUnit.NANOSECONDS);
        Channel pooled = pooled(exchange.origin);
        if (pooled != null) {
            exchange.reused = true;
            dispatch(pooled, exchange);
        } else {
            connect(exchange, loop);
        }
    }

    private void connect(Exchange exchange, EventLoop loop) {
        Origin origin = exchange.origin;
        long connectMillis = Math.max(1, Math.min(connectTimeout.toMillis(), exchange.timeoutNanos / 1_000_000));
        bootstrap.clone(loop)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectMillis))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (origin.tls()) {
                            p.addLast(verifyingHost(tls.newHandler(ch.alloc(), origin.host(), origin.port())));
                        }
                        Connection connection = new Connection(origin);
                        p.addLast(new IdleStateHandler(0, 0, idleSeconds),
                                connection.answerWatch(),
                                new HttpClientCodec(),
                                new HttpObjectAggregator(MAX_ANSWER_BYTES, true),
                                connection);
                    }
                })
                .connect(origin.host(), origin.port())
                .addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        dispatch(f.channel(), exchange);
                    } else {
                        exchange.fail(asIOException(f.cause(), "cannot connect to " + origin));
                    }
                });
    }

    /** Netty's SslHandler checks the chain but not the name unless asked: a hub's certificate must name the hub. */
    private static SslHandler verifyingHost(SslHandler handler) {
        SSLEngine engine = handler.engine();
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(parameters);
        return handler;
    }

    private void dispatch(Channel channel, Exchange exchange) {
        if (exchange.result.isDone()) { // timed out while connecting
            release(channel, exchange.origin);
            return;
        }
        exchange.channel = channel;
        channel.pipeline().get(Connection.class).carry(exchange);
        channel.writeAndFlush(exchange.request()).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                f.channel().close(); // channelInactive decides: retry on a fresh connection, or fail
            }
        });
    }

    private Channel pooled(Origin origin) {
        ArrayDeque<Channel> channels = idle.get().get(origin);
        if (channels == null) {
            return null;
        }
        for (Channel c = channels.pollFirst(); c != null; c = channels.pollFirst()) {
            if (c.isActive()) {
                return c;
            }
        }
        return null;
    }

    private void release(Channel channel, Origin origin) {
        ArrayDeque<Channel> channels = idle.get().computeIfAbsent(origin, o -> new ArrayDeque<>());
        if (channels.size() >= maxIdlePerOrigin || !channel.isActive()) {
            channel.close();
        } else {
            channels.addFirst(channel); // most recently used first: the warmest connections stay busy, the rest age out
        }
    }

    private static IOException asIOException(Throwable t, String what) {
        if (t instanceof IOException io) {
            return io;
        }
        return new IOException(what + ": " + t.getClass().getSimpleName(), t);
    }

    /** One request from the caller's point of view, across at most two connections. */
    private final class Exchange {
        final HttpMethod method;
        final int maxAnswerBytes;
        final Origin origin;
        final String pathAndQuery;
        final HttpHeaders headers;
        final byte[] body;
        final long timeoutNanos;
        final CompletableFuture<ReceivedResponse> result = new CompletableFuture<>();
        ScheduledFuture<?> timeout;
        Channel channel;
        boolean reused;

        Exchange(HttpMethod method, Origin origin, String pathAndQuery, HttpHeaders headers, byte[] body, long timeoutNanos,
                 int maxAnswerBytes) {
            this.method = method;
            this.maxAnswerBytes = maxAnswerBytes;
            this.origin = origin;
            this.pathAndQuery = pathAndQuery;
            this.headers = headers;
            this.body = body;
            this.timeoutNanos = timeoutNanos;
        }

        DefaultFullHttpRequest request() {
            ByteBuf content = Unpooled.wrappedBuffer(body);
            headers.set(HttpHeaderNames.HOST, origin.hostHeader()).set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, pathAndQuery, content, headers,
                    EmptyHttpHeaders.INSTANCE);
        }

        void complete(ReceivedResponse reply) {
            timeout.cancel(false);
            result.complete(reply);
        }

        void fail(IOException e) {
            timeout.cancel(false);
            result.completeExceptionally(e);
        }

        void timedOut() {
            if (result.completeExceptionally(new SocketTimeoutException(
                    "no answer from " + origin + " within " + timeoutNanos / 1_000_000 + " ms")) && channel != null) {
                channel.close(); // its answer, if it ever comes, belongs to nobody
            }
        }
    }

    /** The state of one connection: the exchange it carries, if any. Runs on the connection's loop only. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        private final Origin origin;
        private Exchange exchange;
        /** Whether any byte of the answer arrived: from then on the request is never sent again. */
        private boolean answering;
        private IOException failure;

        Connection(Origin origin) {
            this.origin = origin;
        }

        void carry(Exchange next) {
            exchange = next;
            answering = false;
        }

        /** Sits below the HTTP decoder, which only passes on whole answers. */
        ChannelInboundHandlerAdapter answerWatch() {
            return new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    answering = true;
                    ctx.fireChannelRead(msg);
                }
            };
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof FullHttpResponse response)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            try {
                Exchange done = exchange;
                exchange = null;
                if (done == null || done.result.isDone()) {
                    ctx.close(); // an answer nobody waits for (timed out): the connection's state is unknown
                    return;
                }
                ByteBuf content = response.content();
                byte[] body = new byte[Math.min(content.readableBytes(), done.maxAnswerBytes)];
                content.readBytes(body);
                ReceivedResponse reply = new ReceivedResponse(response.status().code(), response.headers(), body);
                if (HttpUtil.isKeepAlive(response)) {
                    release(ctx.channel(), origin);
                } else {
                    ctx.close();
                }
                done.complete(reply);
            } finally {
                response.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof IdleStateEvent && exchange == null) {
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ArrayDeque<Channel> channels = idle.get().get(origin);
            if (channels != null) {
                channels.remove(ctx.channel());
            }
            Exchange pending = exchange;
            exchange = null;
            if (pending == null || pending.result.isDone()) {
                return;
            }
            if (pending.reused && !answering && failure == null) {
                pending.reused = false; // one retry, on a connection of its own
                pending.channel = null;
                connect(pending, ctx.channel().eventLoop());
            } else {
                pending.fail(failure != null ? failure : new IOException("connection to " + origin + " closed before the answer"));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a reset on a reused connection before any answer is a stale connection (retried in channelInactive);
            // anything else (TLS, a malformed answer, a reset mid-answer) is this request's failure
            boolean stale = cause instanceof IOException && !answering && !(cause instanceof SSLException);
            if (!stale && failure == null) {
                Throwable root = cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null
                        ? cause.getCause() : cause;
                failure = asIOException(root, "failed talking to " + origin);
            }
            ctx.close();
        }
    }
}
