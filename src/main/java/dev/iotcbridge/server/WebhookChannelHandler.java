package dev.iotcbridge.server;

import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.bridge.WebhookResponse;
import dev.iotcbridge.net.BodyBuffer;
import dev.iotcbridge.net.OneRequestAtATime;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The bridge's own part of a local-server connection: routes each request by its head ({@link RequestRouter}),
 * collects a webhook's body up to the limit (413 past it) or drops an unwanted one, hands the webhook to the
 * {@link WebhookHandler} and writes its answer when the future completes, from whichever thread completes it.
 *
 * <p>What is plain HTTP is Netty's or shared, before it in the pipeline ({@link LocalServer#initConnection}): framing
 * ({@code HttpServerCodec}), keep-alive and {@code Connection: close} ({@code HttpServerKeepAliveHandler}), the interim
 * 100 ({@link ContinueUnlessRefused}), the stall timers ({@code IdleStateHandler}, whose events this class turns into a
 * 408 or a close) and the order of answers to pipelined requests ({@link dev.iotcbridge.net.OneRequestAtATime}, which
 * also makes sure this class sees one request at a time).
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

    /** What every connection of one server shares. */
    record Shared(RequestRouter router, WebhookHandler handler, Optional<LocalServer.AdminRoute> admin, Executor blocking,
                  long requestTimeoutNanos) {
    }

    /** One request, from its head until its answer is written and its body read. */
    private static final class Exchange {
        final boolean keepAlive;
        final boolean http10;
        final boolean chunked;
        /** A HEAD: its answer has the length of the body it would have, and no body. */
        final boolean headMethod;
        /** The webhook whose body is being collected, and the body; both null when the body is not wanted. */
        RequestRouter.Webhook webhook;
        BodyBuffer body;
        /** Bytes of an unwanted body read and dropped. */
        long dropped;
        boolean bodyDone;
        boolean answered;

        Exchange(HttpRequest head) {
            keepAlive = head != null && HttpUtil.isKeepAlive(head);
            http10 = head != null && head.protocolVersion().equals(HttpVersion.HTTP_1_0);
            chunked = head != null && HttpUtil.isTransferEncodingChunked(head);
            headMethod = head != null && HttpMethod.HEAD.equals(head.method());
        }

        boolean collecting() {
            return webhook != null;
        }
    }

    private final Shared shared;
    private ChannelHandlerContext ctx;
    /** The request in progress; null between requests. */
    private Exchange current;
    /** The connection closes with the answer being written; whatever else arrives is dropped. */
    private boolean closing;

    WebhookChannelHandler(Shared shared) {
        this.shared = shared;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (closing) {
                return;
            }
            if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
                malformed(o.decoderResult().cause(), msg instanceof HttpRequest head ? head : null);
                return;
            }
            if (msg instanceof HttpRequest head) {
                begin(head);
            }
            if (msg instanceof HttpContent piece) {
                content(piece);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "unexpected failure serving a request", e);
            closing = true;
            if (current != null && !current.answered) {
                answer(current, WebhookResponse.error(500, "internal error"));
            } else {
                ctx.close();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShutdown();
        } else if (evt instanceof IdleStateEvent idle) {
            idle(idle.state());
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        current = null;
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

    private void begin(HttpRequest head) {
        Exchange x = new Exchange(head);
        current = x;
        long announced = HttpUtil.getContentLength(head, -1L);
        RequestRouter.Route route = shared.router().route(head);
        if (route instanceof RequestRouter.Webhook w) {
            x.webhook = w;
            x.body = new BodyBuffer(announced, shared.router().maxBodyBytes());
            return;
        }
        // the body is not wanted
        if (announced > DROP_LIMIT) {
            closing = true;
        }
        if ((announced > 0 || x.chunked) && RequestRouter.expectsSomethingElse(head)) {
            // the client waits before it sends the body and gets the final answer instead, so no body follows: the
            // decoder is told (as Netty's own aggregator does) and reads what comes next as a new request; unless it
            // has already read past this head (pipelined behind an answer still awaited), when it took the next
            // request's bytes for this body and telling it now would cut another request short: then the answer closes
            if (OneRequestAtATime.decodedAhead(ctx.pipeline())) {
                closing = true;
            } else {
                ctx.pipeline().fireUserEventTriggered(HttpExpectationFailedEvent.INSTANCE);
            }
            x.bodyDone = true;
        }
        if (route instanceof RequestRouter.Answer a) {
            answer(x, a.response());
        } else if (route instanceof RequestRouter.Admin a) {
            answerLater(x, admin(a));
        }
    }

    private void content(HttpContent piece) {
        Exchange x = current;
        if (x == null || x.bodyDone) {
            return; // a body nobody waits for: after a refused expectation
        }
        ByteBuf data = piece.content();
        if (x.collecting() && !x.body.append(data)) {
            // a chunked body past the limit (an announced length past it was refused at the head)
            x.webhook = null;
            x.body = null;
            answer(x, WebhookResponse.error(413, shared.router().tooLarge()));
        }
        if (!x.collecting()) {
            x.dropped += data.readableBytes();
            if (x.dropped > DROP_LIMIT) {
                drop(x);
                return;
            }
        }
        if (piece instanceof LastHttpContent) {
            x.bodyDone = true;
            if (x.collecting()) {
                WebhookRequest request = x.webhook.withBody(x.body.toArray());
                x.webhook = null;
                x.body = null;
                answerLater(x, call(request));
            } else if (x.answered) {
                current = null;
            }
        }
    }

    /** Enough of an unwanted body has been read: the connection closes once its answer is out. */
    private void drop(Exchange x) {
        closing = true;
        if (x.answered) {
            closeAfterWrites();
        } // else its answer, when it comes, says close
    }

    /** Closes once what was written before is out (a bare close would drop an answer still in the outbound buffer). */
    private void closeAfterWrites() {
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
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

    /** The client stopped sending (a half-close); it may still read, so what it is owed is still written. */
    private void inputShutdown() {
        Exchange x = current;
        if (x == null) {
            ctx.close();
            return;
        }
        closing = true;
        if (x.collecting()) {
            x.webhook = null;
            x.body = null;
            answer(x, WebhookResponse.error(400, x.chunked
                    ? "the request body ended before its last chunk"
                    : "the request body ended before the length its Content-Length announced"));
        } else if (x.answered) {
            closeAfterWrites();
        }
    }

    /** A request the decoder could not read: its head, or the chunks of its body. The stream cannot be trusted after it. */
    private void malformed(Throwable cause, HttpRequest failedHead) {
        closing = true;
        Exchange x = current;
        if (x != null && x.answered) {
            closeAfterWrites();
            return;
        }
        if (x == null) {
            x = new Exchange(failedHead); // what the head says, as far as it was read: whether it is a HEAD
            current = x;
        }
        x.webhook = null;
        x.body = null;
        x.bodyDone = true;
        String problem = cause.getMessage() == null ? "the request could not be read" : cause.getMessage();
        // before it is cut, so that no part of the key is left at the cut
        problem = shared.router().withoutKey(problem);
        answer(x, WebhookResponse.error(400, "malformed request: "
                + visible(problem.length() > 200 ? problem.substring(0, 200) + "..." : problem)));
    }

    /**
     * The decoder's words quote the request ("invalid character 0x0 at index 5 of header 'Conte\0nt-Length'"): its
     * control characters are made visible, so that the answer (and whatever logs it) holds none of the client's.
     */
    private static String visible(String s) {
        if (s.chars().noneMatch(Character::isISOControl)) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        s.chars().forEach(c -> b.append(Character.isISOControl(c) ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return b.toString();
    }

    /**
     * What IdleStateHandler reports: nothing read for the request timeout (reader idle), nothing read or written for
     * the idle timeout (all idle). While the bridge itself works on an answer, neither is the client's doing.
     */
    private void idle(IdleState state) {
        Exchange x = current;
        if (x == null) {
            if (state == IdleState.ALL_IDLE) {
                LOG.fine("closing a keep-alive connection quiet between requests");
                ctx.close();
            }
            return;
        }
        if (state != IdleState.READER_IDLE || x.bodyDone) {
            return; // between requests the longer idle timeout applies; a read request waits for its answer
        }
        closing = true;
        if (x.collecting()) {
            x.webhook = null;
            x.body = null;
            answer(x, WebhookResponse.error(408, "the request body stopped arriving: nothing for "
                    + TimeUnit.NANOSECONDS.toSeconds(shared.requestTimeoutNanos()) + " s"));
        } else if (x.answered) {
            closeAfterWrites();
        } // else the admin route's answer, when it comes, is the last
    }

    // --- answers -------------------------------------------------------------------------------------------

    /** Answers when {@code pending} completes, on this connection's loop whichever thread completes it. */
    private void answerLater(Exchange x, CompletableFuture<WebhookResponse> pending) {
        pending.whenComplete((response, failure) -> {
            WebhookResponse r = response;
            if (failure != null || response == null) {
                LOG.log(Level.SEVERE, "unexpected failure serving a request", failure);
                r = WebhookResponse.error(500, "internal error");
            }
            WebhookResponse answer = r;
            EventExecutor loop = ctx.executor();
            if (loop.inEventLoop()) {
                answer(x, answer);
            } else {
                loop.execute(() -> answer(x, answer));
            }
        });
    }

    private void answer(Exchange x, WebhookResponse response) {
        if (x != current || x.answered) {
            return; // the request was already answered (a timeout, a broken body) or the connection moved on
        }
        x.answered = true;
        if (x.bodyDone) {
            current = null;
        }
        // with Connection: close, HttpServerKeepAliveHandler closes the connection once the answer is written
        ctx.writeAndFlush(http(response, closing || !x.keepAlive, x.http10, x.headMethod));
    }

    /**
     * The answer on the wire: a body only where the status and the method allow one, its length, the connection's
     * fate. A HEAD's answer is left without its body here rather than by Netty's encoder, which knows the method only
     * of the requests it decoded whole: the 400 for a HEAD cut short at a half-close went out with its body.
     */
    static FullHttpResponse http(WebhookResponse response, boolean close, boolean http10, boolean toHead) {
        int status = response.status();
        boolean bodyless = status == 204 || status == 304 || status < 200;
        ByteBuf content = bodyless || toHead || response.body().length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(response.body());
        FullHttpResponse http = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), content);
        HttpHeaders headers = http.headers();
        response.headers().forEach(headers::set);
        if (!bodyless) {
            // for a HEAD, the length a GET's body would have (RFC 9110 8.6)
            headers.setInt(HttpHeaderNames.CONTENT_LENGTH, response.body().length);
        }
        if (close) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return http;
    }
}
