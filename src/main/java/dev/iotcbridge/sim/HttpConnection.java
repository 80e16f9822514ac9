package dev.iotcbridge.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client connection to a simulated service: reads each request whole (a body over the service's limit is read
 * and dropped), hands it to the {@link Endpoint}, writes its answer. Requests on one connection are served one at a
 * time, so pipelined requests are answered in order even when a latency delays them. Everything but the control
 * API's answers happens on the connection's I/O thread.
 */
final class HttpConnection extends ChannelInboundHandlerAdapter implements Responder {

    private static final Logger LOG = Logger.getLogger(HttpConnection.class.getName());
    private static final byte[] EMPTY = new byte[0];

    private final Endpoint endpoint;
    private final int bodyLimit;
    private ChannelHandlerContext ctx;

    // the request being read
    private HttpRequest head;
    private byte[] body;
    private int bodyLength;
    private boolean tooLarge;

    // the request being served, and those read meanwhile (pipelined)
    private SimRequest current;
    private final ArrayDeque<SimRequest> waiting = new ArrayDeque<>(2);

    HttpConnection(Endpoint endpoint) {
        this.endpoint = endpoint;
        this.bodyLimit = endpoint.bodyLimit();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (!(msg instanceof HttpObject http)) {
                return;
            }
            if (http.decoderResult().isFailure()) {
                badRequest();
                return;
            }
            if (msg instanceof HttpRequest request) {
                startRequest(request);
            }
            if (msg instanceof HttpContent content && head != null) {
                append(content.content());
                if (msg instanceof LastHttpContent) {
                    arrived(endRequest());
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        waiting.clear();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.FINE, "simulator connection failed; closing it", cause);
        ctx.close();
    }

    @Override
    public void send(Reply reply) {
        if (ctx.executor().inEventLoop()) {
            write(reply);
        } else {
            try {
                ctx.executor().execute(() -> write(reply));
            } catch (RejectedExecutionException closing) {
                // the simulator is closing: the connection goes with it
            }
        }
    }

    @Override
    public void after(Duration delay, Runnable task) {
        try {
            ctx.executor().schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            task.run();
        }
    }

    private void startRequest(HttpRequest request) {
        head = request;
        tooLarge = false;
        bodyLength = 0;
        long announced = HttpUtil.getContentLength(request, -1L);
        if (announced > bodyLimit) {
            tooLarge = true; // read and dropped, so that the connection can carry the answer
            body = null;
        } else {
            body = announced > 0 ? new byte[(int) announced] : EMPTY;
        }
    }

    private void append(ByteBuf content) {
        int n = content.readableBytes();
        if (n == 0 || tooLarge) {
            return;
        }
        if ((long) bodyLength + n > bodyLimit) {
            tooLarge = true;
            body = null;
            return;
        }
        if (bodyLength + n > body.length) {
            body = Arrays.copyOf(body, (int) Math.min(Math.max(body.length * 2L, bodyLength + n), bodyLimit));
        }
        content.readBytes(body, bodyLength, n);
        bodyLength += n;
    }

    private SimRequest endRequest() {
        byte[] bytes = tooLarge ? null : bodyLength == body.length ? body : Arrays.copyOf(body, bodyLength);
        SimRequest request = new SimRequest(head.method().name(), head.uri(), lowerCased(head.headers()), bytes,
                HttpUtil.isKeepAlive(head));
        head = null;
        body = null;
        return request;
    }

    private void arrived(SimRequest request) {
        if (current != null) {
            waiting.addLast(request);
            return;
        }
        current = request;
        endpoint.handle(request, this);
    }

    private void write(Reply reply) {
        SimRequest request = current;
        current = null;
        if (request == null || !ctx.channel().isActive()) {
            return;
        }
        byte[] bytes = reply.body();
        if (reply.cut()) {
            if (bytes.length == 0) {
                ctx.close(); // nothing to cut half-way: the connection drops before the status line
            } else {
                HttpResponse start = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(reply.status()));
                headers(start.headers(), reply, bytes.length);
                ctx.write(start);
                // fewer bytes than announced, then the connection drops
                ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes, 0, bytes.length / 2)))
                        .addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(reply.status()), bytes.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
        headers(response.headers(), reply, bytes.length);
        if (!request.keepAlive()) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.writeAndFlush(response);
        SimRequest next = waiting.pollFirst();
        if (next != null) {
            current = next;
            endpoint.handle(next, this);
        }
    }

    private static void headers(HttpHeaders out, Reply reply, int contentLength) {
        for (Map.Entry<String, String> h : reply.headers().entrySet()) {
            out.set(h.getKey(), h.getValue());
        }
        int status = reply.status();
        if (status != 204 && status >= 200) {
            out.setInt(HttpHeaderNames.CONTENT_LENGTH, contentLength);
        }
    }

    private void badRequest() {
        head = null;
        body = null;
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
                Unpooled.EMPTY_BUFFER);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private static Map<String, String> lowerCased(HttpHeaders headers) {
        Map<String, String> out = new HashMap<>(32);
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> h = it.next();
            out.putIfAbsent(h.getKey().toString().toLowerCase(Locale.ROOT), h.getValue().toString());
        }
        return out;
    }
}
