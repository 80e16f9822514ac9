package dev.iotcbridge.server;

import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.bridge.WebhookResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpExpectationFailedEvent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One connection of the local server, driven by its event loop and never blocking it: takes a request head, asks the
 * {@link RequestRouter} what it wants, collects (or drops) the body, and writes the answer when the handler's future
 * completes, from whichever thread completes it.
 *
 * <p>One request at a time per connection: what a pipelining client sends meanwhile is held, and the socket no longer
 * read, until the answer before it has been written, so answers leave in the order of the requests and a client
 * cannot make the server buffer without bound.
 */
final class WebhookChannelHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = Logger.getLogger(LocalServer.class.getName());
    /** The handler's line per message goes to the handler's own logger, as it did when the handler was called directly. */
    private static final Logger CALLS = Logger.getLogger(WebhookHandler.class.getName());
    /**
     * Most of an unwanted request body that is read (and dropped) after the answer. Most HTTP clients send their whole
     * body before they read the answer; closing a connection with unread data makes the kernel reset it, and the client
     * then sees a dropped connection (and retries) instead of the 413 it needs. Past this the rest is not worth reading.
     */
    static final long DROP_LIMIT = 16L * 1024 * 1024;
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Held in the queue like a message, so that a half-close is seen after what the client sent before it. */
    private static final Object INPUT_CLOSED = new Object();

    /** What every connection of one server shares. */
    record Shared(RequestRouter router, WebhookHandler handler, Optional<LocalServer.AdminRoute> admin, Executor blocking,
                  long requestTimeoutNanos, long idleTimeoutNanos, LongSupplier nanoTime) {
    }

    private final Shared shared;

    // --- the request in progress, from its head until its body is read and its answer written ---
    private boolean inRequest;
    /** Counts requests, so that a late answer can tell whether the request it was for is still the current one. */
    private long exchange;
    private boolean bodyDone;
    private boolean answerStarted;
    private boolean answered;
    private boolean keepAlive;
    private boolean http10;
    private boolean chunked;
    /** The webhook whose body is being collected; null while a body is dropped. */
    private RequestRouter.Webhook webhook;
    private BodyBuffer body;
    private long dropped;

    // --- the connection ---
    /** The connection closes once the answer being written is out; whatever else arrives is dropped. */
    private boolean closing;
    /** What arrived while an answer was pending (a pipelining client); the socket is not read while it is not empty. */
    private ArrayDeque<Object> waiting;
    private boolean servingWaiting;
    /** Since when the connection has waited for its client (nanoTime): the last read, or the last answer. */
    private long quietSince;
    private ScheduledFuture<?> stallCheck;

    WebhookChannelHandler(Shared shared) {
        this.shared = shared;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        quietSince = shared.nanoTime().getAsLong();
        scheduleStallCheck(ctx, checkPeriod());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
        } else if (awaitingAnswer()) {
            hold(ctx, msg);
        } else {
            consume(ctx, msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        quietSince = shared.nanoTime().getAsLong();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            // the client half-closed (or closed): it may still read, so what it is owed is still written
            if (!closing) {
                if (awaitingAnswer()) {
                    hold(ctx, INPUT_CLOSED);
                } else {
                    inputClosed(ctx);
                }
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        if (stallCheck != null) {
            stallCheck.cancel(false);
        }
        if (waiting != null) {
            waiting.forEach(ReferenceCountUtil::release);
            waiting.clear();
        }
        webhook = null;
        body = null;
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.log(Level.FINE, "connection failed", cause);
        } else {
            LOG.log(Level.WARNING, "unexpected failure on a connection", cause);
        }
        ctx.close();
    }

    // --- requests ------------------------------------------------------------------------------------------

    private boolean awaitingAnswer() {
        return inRequest && bodyDone;
    }

    private void hold(ChannelHandlerContext ctx, Object msg) {
        if (waiting == null) {
            waiting = new ArrayDeque<>(4);
        }
        waiting.add(msg);
        ctx.channel().config().setAutoRead(false);
    }

    private void consume(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg == INPUT_CLOSED) {
                inputClosed(ctx);
            } else if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
                malformed(ctx, o.decoderResult().cause());
            } else {
                if (msg instanceof HttpRequest head) {
                    begin(ctx, head);
                }
                // content with no request in progress: a body sent after a refused 100-continue; not a request
                if (msg instanceof HttpContent piece && inRequest && !bodyDone) {
                    content(ctx, piece);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "unexpected failure serving a request", e);
            closing = true;
            if (inRequest && !answerStarted) {
                answer(ctx, exchange, WebhookResponse.error(500, "internal error"));
            } else {
                ctx.close();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void startExchange() {
        inRequest = true;
        exchange++;
        bodyDone = false;
        answerStarted = false;
        answered = false;
        dropped = 0;
        webhook = null;
        body = null;
    }

    private void begin(ChannelHandlerContext ctx, HttpRequest head) {
        startExchange();
        keepAlive = HttpUtil.isKeepAlive(head);
        http10 = head.protocolVersion().equals(HttpVersion.HTTP_1_0);
        chunked = HttpUtil.isTransferEncodingChunked(head);
        long announced = HttpUtil.getContentLength(head, -1L);
        RequestRouter.Route route = shared.router().route(head);
        if (route instanceof RequestRouter.Webhook w) {
            webhook = w;
            body = new BodyBuffer(announced, shared.router().maxBodyBytes());
            if (announced != 0 && HttpUtil.is100ContinueExpected(head)) {
                // written below the encoder, which counts one response per request (for HEAD); this is not the response
                ctx.pipeline().context(HttpServerCodec.class).writeAndFlush(Unpooled.wrappedBuffer(CONTINUE));
            }
            return;
        }
        // the body is not wanted
        if (announced > DROP_LIMIT) {
            keepAlive = false;
        }
        if ((announced > 0 || chunked) && (HttpUtil.is100ContinueExpected(head) || RequestRouter.expectsSomethingElse(head))) {
            // the client waits for a 100 before it sends the body and gets the final answer instead, so no body follows:
            // the decoder is told (as Netty's own aggregator does) and reads what comes next as a new request
            ctx.pipeline().fireUserEventTriggered(HttpExpectationFailedEvent.INSTANCE);
            bodyDone = true;
        }
        if (route instanceof RequestRouter.Answer a) {
            answer(ctx, exchange, a.response());
        } else if (route instanceof RequestRouter.Admin a) {
            answerLater(ctx, admin(a));
        }
    }

    private void content(ChannelHandlerContext ctx, HttpContent piece) {
        ByteBuf data = piece.content();
        if (webhook != null && !body.append(data)) {
            // a chunked body past the limit (an announced length past it was refused at the head)
            webhook = null;
            body = null;
            answer(ctx, exchange, WebhookResponse.error(413, shared.router().tooLarge()));
        }
        if (webhook == null) {
            dropped += data.readableBytes();
            if (dropped > DROP_LIMIT) {
                closing = true;
                if (answered) {
                    ctx.close();
                }
                return;
            }
        }
        if (piece instanceof LastHttpContent) {
            bodyDone = true;
            if (webhook != null) {
                WebhookRequest request = webhook.withBody(body.toArray());
                webhook = null;
                body = null;
                answerLater(ctx, call(request));
            } else if (answered) {
                finish(ctx);
            }
        }
    }

    private CompletableFuture<WebhookResponse> call(WebhookRequest request) {
        try {
            return shared.handler().handleAsync(request, CALLS);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The admin route may do real work: it runs on the blocking executor, never on the loop. */
    private CompletableFuture<WebhookResponse> admin(RequestRouter.Admin a) {
        LocalServer.AdminRoute route = shared.admin().orElseThrow();
        try {
            return CompletableFuture.supplyAsync(() -> route.handle(a.method(), a.path(), a.query()), shared.blocking());
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void inputClosed(ChannelHandlerContext ctx) {
        if (!inRequest) {
            ctx.close();
            return;
        }
        // the client stopped sending in the middle of a body; it may still be reading, so tell it
        closing = true;
        if (webhook != null) {
            webhook = null;
            body = null;
            answer(ctx, exchange, WebhookResponse.error(400, chunked
                    ? "the request body ended before its last chunk"
                    : "the request body ended before the length its Content-Length announced"));
        } else if (answered) {
            ctx.close();
        }
    }

    /** A request the decoder could not read: its head, or the chunks of its body. The stream cannot be trusted after it. */
    private void malformed(ChannelHandlerContext ctx, Throwable cause) {
        closing = true;
        if (inRequest && answerStarted) {
            if (answered) {
                ctx.close();
            }
            return;
        }
        if (!inRequest) {
            startExchange();
        }
        String problem = cause.getMessage() == null ? "the request could not be read" : cause.getMessage();
        answer(ctx, exchange, WebhookResponse.error(400, "malformed request: "
                + (problem.length() > 200 ? problem.substring(0, 200) + "..." : problem)));
    }

    // --- answers -------------------------------------------------------------------------------------------

    /** Answers when {@code pending} completes, on this connection's loop whichever thread completes it. */
    private void answerLater(ChannelHandlerContext ctx, CompletableFuture<WebhookResponse> pending) {
        long mine = exchange;
        pending.whenComplete((response, failure) -> {
            WebhookResponse r = response;
            if (failure != null || response == null) {
                LOG.log(Level.SEVERE, "unexpected failure serving a request", failure);
                r = WebhookResponse.error(500, "internal error");
            }
            WebhookResponse answer = r;
            EventExecutor loop = ctx.executor();
            if (loop.inEventLoop()) {
                answer(ctx, mine, answer);
            } else {
                loop.execute(() -> answer(ctx, mine, answer));
            }
        });
    }

    private void answer(ChannelHandlerContext ctx, long forExchange, WebhookResponse response) {
        if (forExchange != exchange || answerStarted) {
            return; // the request was already answered (a timeout, a broken body) or the connection moved on
        }
        answerStarted = true;
        quietSince = shared.nanoTime().getAsLong();
        ctx.writeAndFlush(http(response, closing || !keepAlive)).addListener((ChannelFutureListener) f -> answered(ctx, f));
    }

    private void answered(ChannelHandlerContext ctx, ChannelFuture written) {
        if (!written.isSuccess()) {
            LOG.log(Level.FINE, "client went away before its answer", written.cause());
            ctx.close();
            return;
        }
        answered = true;
        if (closing) {
            ctx.close();
        } else if (bodyDone) {
            finish(ctx);
        }
    }

    private void finish(ChannelHandlerContext ctx) {
        inRequest = false;
        quietSince = shared.nanoTime().getAsLong();
        if (!keepAlive) {
            closing = true;
            ctx.close();
            return;
        }
        serveWaiting(ctx);
    }

    /** Takes what a pipelining client sent meanwhile, in order, until a request waits for its answer again. */
    private void serveWaiting(ChannelHandlerContext ctx) {
        if (servingWaiting) {
            return; // an answer written synchronously from inside the loop below: the loop goes on
        }
        servingWaiting = true;
        try {
            while (waiting != null && !waiting.isEmpty() && !awaitingAnswer() && !closing) {
                consume(ctx, waiting.poll());
            }
        } finally {
            servingWaiting = false;
        }
        if ((waiting == null || waiting.isEmpty()) && !closing && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private FullHttpResponse http(WebhookResponse response, boolean close) {
        int status = response.status();
        boolean bodyless = status == 204 || status == 304 || status < 200;
        ByteBuf content = bodyless || response.body().length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(response.body());
        FullHttpResponse http = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), content);
        HttpHeaders headers = http.headers();
        response.headers().forEach(headers::set);
        if (!bodyless) {
            headers.setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        }
        if (close) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return http;
    }

    // --- stalled connections -------------------------------------------------------------------------------

    private long checkPeriod() {
        return Math.min(shared.requestTimeoutNanos(), shared.idleTimeoutNanos());
    }

    /**
     * One timer per connection, re-armed from the time of the last read rather than reset on every read (which would
     * cost a timer per request): a stalled connection is noticed within one period of its deadline.
     */
    private void scheduleStallCheck(ChannelHandlerContext ctx, long delayNanos) {
        stallCheck = ctx.executor().schedule(() -> checkStall(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void checkStall(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            return;
        }
        long delay = checkPeriod();
        boolean bridgeAtWork = inRequest && bodyDone && !answerStarted; // the wait is the handler's, not the client's
        if (!bridgeAtWork) {
            long limit = inRequest ? shared.requestTimeoutNanos() : shared.idleTimeoutNanos();
            long quiet = shared.nanoTime().getAsLong() - quietSince;
            if (quiet >= limit) {
                stalled(ctx, limit);
            } else {
                delay = Math.min(delay, limit - quiet);
            }
        }
        if (ctx.channel().isActive()) {
            scheduleStallCheck(ctx, delay);
        }
    }

    private void stalled(ChannelHandlerContext ctx, long limitNanos) {
        if (webhook != null) {
            closing = true;
            answer(ctx, exchange, WebhookResponse.error(408, "the request body stopped arriving: nothing for "
                    + TimeUnit.NANOSECONDS.toSeconds(limitNanos) + " s"));
        } else if (inRequest && !answerStarted) {
            closing = true; // the admin route's answer, when it comes, is the last
        } else {
            LOG.fine(() -> "closing a connection quiet for " + TimeUnit.NANOSECONDS.toSeconds(limitNanos) + " s");
            ctx.close();
        }
    }
}
