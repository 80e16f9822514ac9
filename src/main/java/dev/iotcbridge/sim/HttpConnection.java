package dev.iotcbridge.sim;

import dev.iotcbridge.net.BodyBuffer;
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
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The simulated service's part of one client connection: reads each request whole (a body over the service's limit is
 * read and dropped, and the request has no body), hands it to the {@link Endpoint}, writes its answer, or half of it
 * for a cut. Plain HTTP is Netty's and shared, before it in the pipeline ({@link Listener}): framing, 100-continue,
 * keep-alive and {@code Connection: close}, and answers in the order of pipelined requests
 * ({@link dev.iotcbridge.net.OneRequestAtATime}, the local server's too), so this class sees one request at a time.
 * Everything but the control API's answers happens on the connection's I/O thread.
 */
final class HttpConnection extends ChannelInboundHandlerAdapter implements Responder {

    private static final Logger LOG = Logger.getLogger(HttpConnection.class.getName());

    private final Endpoint endpoint;
    private final int bodyLimit;
    private ChannelHandlerContext ctx;
    /** The request being read, and its body (null once it is over the limit). */
    private HttpRequest head;
    private BodyBuffer body;
    /** The request being served: answered exactly once. */
    private SimRequest current;

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
                head = request;
                long announced = HttpUtil.getContentLength(request, -1L);
                body = announced > bodyLimit ? null : new BodyBuffer(announced, bodyLimit);
            }
            if (msg instanceof HttpContent content && head != null) {
                if (body != null && !body.append(content.content())) {
                    body = null; // read and dropped, so that the connection can carry the answer
                }
                if (msg instanceof LastHttpContent) {
                    current = new SimRequest(head.method().name(), head.uri(), lowerCased(head.headers()),
                            body == null ? null : body.toArray());
                    head = null;
                    body = null;
                    endpoint.handle(current, this);
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.FINE, "simulator connection failed; closing it", cause);
        ctx.close();
    }

    @Override
    public void send(SimResponse reply) {
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

    private void write(SimResponse reply) {
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
        ctx.writeAndFlush(response); // HttpServerKeepAliveHandler closes the connection after it if the request asked
    }

    private static void headers(HttpHeaders out, SimResponse reply, int contentLength) {
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
        ctx.writeAndFlush(response);
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
