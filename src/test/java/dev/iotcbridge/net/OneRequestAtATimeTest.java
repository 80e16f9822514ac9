package dev.iotcbridge.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The order of a connection's exchanges on an embedded channel, with a server behind it that answers only when the
 * test says: what arrives while a request waits is held (and the socket not read), a half-close waits behind it, an
 * interim 100 answers nothing, and an answer written before the body ended lets the rest of the body through.
 */
class OneRequestAtATimeTest {

    /** What the handler behind sees, in order: "GET /a", "end", "shutdown". */
    private final List<String> seen = new ArrayList<>();
    private final OneRequestAtATime order = new OneRequestAtATime();
    private ChannelHandlerContext server;
    private final EmbeddedChannel channel = new EmbeddedChannel(new HttpServerCodec(), order, new ChannelInboundHandlerAdapter() {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            server = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest r) {
                seen.add(r.method() + " " + r.uri());
            }
            if (msg instanceof LastHttpContent) {
                seen.add("end");
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                seen.add("shutdown");
            }
        }
    });

    private void receive(String text) {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    private void answer(HttpResponseStatus status) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
        r.headers().setInt("content-length", 0);
        server.writeAndFlush(r);
        channel.runPendingTasks();
        for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
            ReferenceCountUtil.release(out);
        }
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    @Test
    void pipelinedRequestsReachTheServerOneAnswerAtATime() {
        receive(get("/a") + get("/b") + get("/c"));
        assertEquals(List.of("GET /a", "end"), seen);
        assertEquals(OneRequestAtATime.Phase.AWAITING_ANSWER, order.phase());
        assertFalse(channel.config().isAutoRead(), "the socket is not read while requests are held");

        answer(HttpResponseStatus.CONTINUE);
        assertEquals(List.of("GET /a", "end"), seen, "an interim 100 answers nothing");

        answer(HttpResponseStatus.OK);
        assertEquals(List.of("GET /a", "end", "GET /b", "end"), seen);
        answer(HttpResponseStatus.OK);
        assertEquals(List.of("GET /a", "end", "GET /b", "end", "GET /c", "end"), seen);
        answer(HttpResponseStatus.OK);
        assertEquals(OneRequestAtATime.Phase.BETWEEN_REQUESTS, order.phase());
        assertTrue(channel.config().isAutoRead(), "reading resumes once nothing is held");
        channel.finishAndReleaseAll();
    }

    @Test
    void aHalfCloseWaitsBehindTheRequestsSentBeforeIt() {
        receive(get("/a") + get("/b"));
        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals(List.of("GET /a", "end"), seen);
        answer(HttpResponseStatus.OK);
        answer(HttpResponseStatus.OK);
        assertEquals(List.of("GET /a", "end", "GET /b", "end", "shutdown"), seen);
        channel.finishAndReleaseAll();
    }

    @Test
    void anAnswerBeforeTheBodyEndsLetsTheRestOfTheBodyThroughThenTheNextRequest() {
        receive("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
        answer(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE);
        assertEquals(OneRequestAtATime.Phase.READING_ANSWERED, order.phase());
        receive("67890" + get("/next"));
        assertEquals(List.of("POST /big", "end", "GET /next", "end"), seen);
        assertEquals(OneRequestAtATime.Phase.AWAITING_ANSWER, order.phase());
        channel.finishAndReleaseAll();
    }

    @Test
    void whatIsHeldIsReleasedWhenTheConnectionCloses() {
        var held = Unpooled.copiedBuffer(get("/a") + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz", StandardCharsets.US_ASCII);
        channel.writeInbound(held.retain());
        channel.close();
        assertEquals(1, held.refCnt(), "only the test's own reference is left");
        held.release();
    }
}
