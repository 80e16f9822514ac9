package dev.iotcbridge.net;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import java.util.concurrent.TimeUnit;

/**
 * The process's I/O threads, shared by the local server and the IoT Hub client. A webhook read on one loop is sent
 * to the hub from a connection of the same loop and answered there, so the hot path never hands work to another
 * thread: on two cores that hand-off (wake a thread, switch, wake back) cost more than the bridge's own work.
 * One loop per core; native epoll where it loads, NIO elsewhere.
 */
public final class EventLoops implements AutoCloseable {

    static {
        // Netty logs through SLF4J when it finds the API (the Azure SDK brings it, without a provider, so SLF4J would
        // print its "no providers" warning at every start); the bridge logs through java.util.logging, like the host
        InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
    }

    private final EventLoopGroup group;
    private final boolean epoll;

    private EventLoops(EventLoopGroup group, boolean epoll) {
        this.group = group;
        this.epoll = epoll;
    }

    /** One loop per available core, threads named {@code bridge-io-N}, daemon so they never hold the JVM up. */
    public static EventLoops create() {
        return create(Runtime.getRuntime().availableProcessors());
    }

    public static EventLoops create(int threads) {
        return create(threads, "bridge-io");
    }

    /** {@code threads} loops named {@code <threadName>-N-M}, for a process part with loops of its own (the simulator). */
    public static EventLoops create(int threads, String threadName) {
        if (threads < 1) {
            throw new IllegalArgumentException("event loop threads must be at least 1, not " + threads);
        }
        DefaultThreadFactory names = new DefaultThreadFactory(threadName, true);
        if (Epoll.isAvailable()) {
            return new EventLoops(new EpollEventLoopGroup(threads, names), true);
        }
        return new EventLoops(new NioEventLoopGroup(threads, names), false);
    }

    public EventLoopGroup group() {
        return group;
    }

    /** The loop the caller runs on when it is one of ours (no hand-off), otherwise the next loop in turn. */
    public EventLoop loopForCaller() {
        for (io.netty.util.concurrent.EventExecutor e : group) {
            if (e.inEventLoop()) {
                return (EventLoop) e;
            }
        }
        return group.next();
    }

    public Class<? extends SocketChannel> socketChannel() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public Class<? extends ServerSocketChannel> serverChannel() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** "epoll" or "nio": for the start-up log line. */
    public String transport() {
        return epoll ? "epoll" : "nio";
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
