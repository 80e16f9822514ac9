package dev.iotcbridge.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.*;
import io.netty.channel.epoll.*;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.*;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The floor under round 3's shape ({@code scripts/bench.sh floor --floor proxy-epoll-2}): a Netty server and a Netty
 * client on the same event loops forwarding each POST to a fixed upstream and answering a fixed 200, with no bridge
 * work. {@code NettyProxyFloor PORT UPSTREAM jdk-okhttp} runs the shape before it instead ({@link JdkOkHttpProxy}).
 * Measured before the change: 185 µs per request for that shape, 36 µs for this one (docs/performance.md).
 */
public final class NettyProxyFloor {
    static int upstreamPort;
    static final Map<EventLoop, ArrayDeque<Channel>> pools = new IdentityHashMap<>();
    static Bootstrap client;

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        upstreamPort = Integer.parseInt(args[1]);
        boolean epoll = args.length > 2 && args[2].equals("epoll");
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        EventLoopGroup group = epoll ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
        Class<? extends ServerChannel> sc = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        Class<? extends Channel> cc = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        if (args.length > 2 && args[2].equals("jdk-okhttp")) {
            JdkOkHttpProxy.start(port, upstreamPort);
            return;
        }
        for (io.netty.util.concurrent.EventExecutor e : group) {
            pools.put((EventLoop) e, new ArrayDeque<>());
        }
        client = new Bootstrap().channel(cc).option(ChannelOption.TCP_NODELAY, true).handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536), new Upstream());
            }
        });
        new ServerBootstrap().group(group).channel(sc).option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(262144), new Inbound());
                    }
                }).bind("127.0.0.1", port).sync();
        System.out.println("listening on " + port);
    }


    static final class Upstream extends SimpleChannelInboundHandler<FullHttpResponse> {
        Consumer<FullHttpResponse> pending;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
            Consumer<FullHttpResponse> p = pending;
            pending = null;
            pools.get(ctx.channel().eventLoop()).push(ctx.channel());
            p.accept(msg);
        }
    }

    static final class Inbound extends SimpleChannelInboundHandler<FullHttpRequest> {
        static final byte[] ANSWER = "{\"forwarded\":1,\"skipped\":0,\"results\":[{\"deviceId\":\"bench-dev-000001\",\"status\":200}]}"
                .getBytes(StandardCharsets.UTF_8);

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            byte[] body = new byte[req.content().readableBytes()];
            req.content().readBytes(body);
            EventLoop loop = ctx.channel().eventLoop();
            FullHttpRequest out = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                    "/devices/bench-dev-000001/messages/events?api-version=2020-03-13", Unpooled.wrappedBuffer(body));
            out.headers().set(HttpHeaderNames.HOST, "127.0.0.1:" + upstreamPort)
                    .set(HttpHeaderNames.AUTHORIZATION, "SharedAccessSignature sr=x&sig=y&se=1")
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/json").set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            Consumer<FullHttpResponse> done = r -> {
                FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.wrappedBuffer(ANSWER));
                resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8")
                        .set(HttpHeaderNames.CONTENT_LENGTH, ANSWER.length);
                ctx.writeAndFlush(resp);
            };
            Channel c = pools.get(loop).poll();
            if (c != null && c.isActive()) {
                send(c, out, done);
            } else {
                client.clone(loop).connect("127.0.0.1", upstreamPort).addListener((ChannelFutureListener) f -> send(f.channel(), out, done));
            }
        }

        static void send(Channel c, FullHttpRequest out, Consumer<FullHttpResponse> done) {
            c.pipeline().get(Upstream.class).pending = done;
            c.writeAndFlush(out);
        }
    }
}
