package dev.iotcbridge.net;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Serves an HTTP/1.1 connection one request at a time, for a server whose answers come later (from the hub, after a
 * simulated latency): what a pipelining client sends while a request waits for its answer is held here, and the
 * socket is not read meanwhile, so answers leave in the order of the requests and a client cannot make the server
 * buffer without bound. Netty's HTTP codec has no such handler (it answers in whatever order the application writes).
 *
 * <p>It sits right after the codec (and its idle timer) and before everything that handles requests. A client's
 * half-close is held in the same queue, so the handlers after it see it after what the client sent before it.
 * One instance per connection.
 */
public final class OneRequestAtATime extends ChannelDuplexHandler {

    /** Where the connection is in its current exchange. */
    public enum Phase {
        /** No request in progress: what arrives is the next request. */
        BETWEEN_REQUESTS,
        /** A request's head has been read and its body is still arriving; it has not been answered. */
        READING,
        /** The request was answered before its body ended (a refusal): the rest of the body still passes through. */
        READING_ANSWERED,
        /** The request was read whole and waits for its answer: everything that arrives is held. */
        AWAITING_ANSWER
    }

    /** Stands for the client's half-close in the queue of what is held. */
    private static final Object INPUT_SHUTDOWN = new Object();

    private Phase phase = Phase.BETWEEN_REQUESTS;
    private final ArrayDeque<Object> held = new ArrayDeque<>(4);
    /** Whether the response being written is an interim one (100 Continue), which does not answer the request. */
    private boolean interim;
    private boolean releasing;
    /** Told when an answer's last part is written; one per connection rather than one per answer. */
    private ChannelFutureListener written;

    public Phase phase() {
        return phase;
    }

    /**
     * Whether what the codec decoded after the message being passed on is held here, so the codec has read past it.
     * A handler that would tell the codec "no body follows this head" must not then: the codec has already taken the
     * bytes after the head as its body, and is in another request by now.
     */
    public boolean decodedAhead() {
        return !held.isEmpty();
    }

    /** {@link #decodedAhead()} of the pipeline's instance; false where there is none. */
    public static boolean decodedAhead(ChannelPipeline pipeline) {
        OneRequestAtATime order = pipeline.get(OneRequestAtATime.class);
        return order != null && order.decodedAhead();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        written = f -> {
            if (f.isSuccess()) {
                answered(ctx);
            } else {
                ctx.close();
            }
        };
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (phase == Phase.AWAITING_ANSWER || !held.isEmpty()) {
            hold(ctx, msg);
        } else {
            pass(ctx, msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && (phase == Phase.AWAITING_ANSWER || !held.isEmpty())) {
            hold(ctx, INPUT_SHUTDOWN);
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse head) {
            interim = head.status().codeClass() == HttpStatusClass.INFORMATIONAL;
        }
        if (msg instanceof LastHttpContent && !interim) {
            // the answer is complete once it is written, not when it is queued: a client that does not read its
            // answers stops the connection instead of filling the server's memory with them
            promise = promise.unvoid().addListener(written);
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        held.forEach(m -> {
            if (m != INPUT_SHUTDOWN) {
                ReferenceCountUtil.release(m);
            }
        });
        held.clear();
        ctx.fireChannelInactive();
    }

    private void pass(ChannelHandlerContext ctx, Object msg) {
        if (msg == INPUT_SHUTDOWN) {
            ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            return;
        }
        if (msg instanceof HttpRequest) {
            // after a refused "Expect: 100-continue" no body comes: the next head starts the next request
            phase = Phase.READING;
        }
        if (msg instanceof LastHttpContent) {
            phase = phase == Phase.READING ? Phase.AWAITING_ANSWER : Phase.BETWEEN_REQUESTS;
        }
        ctx.fireChannelRead(msg);
    }

    private void hold(ChannelHandlerContext ctx, Object msg) {
        held.add(msg);
        ctx.channel().config().setAutoRead(false);
    }

    private void answered(ChannelHandlerContext ctx) {
        if (phase == Phase.READING) {
            phase = Phase.READING_ANSWERED;
            return;
        }
        if (phase != Phase.AWAITING_ANSWER) {
            return;
        }
        phase = Phase.BETWEEN_REQUESTS;
        if (releasing) {
            return; // an answer written at once from inside the loop below: the loop goes on
        }
        releasing = true;
        try {
            while (!held.isEmpty() && phase != Phase.AWAITING_ANSWER && ctx.channel().isActive()) {
                pass(ctx, held.poll());
            }
        } finally {
            releasing = false;
        }
        if (held.isEmpty() && ctx.channel().isActive() && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }
}
