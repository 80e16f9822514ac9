package dev.iotcbridge.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.config.Secret;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.testing.FakeTransforms;
import dev.iotcbridge.testing.HeldSender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One connection's handlers on an embedded channel, with the time the test sets (the channel's clock): the stall timeouts (60 s for a body
 * that stops, 2 min between requests, none while the bridge itself works), and that every buffer the decoder hands
 * over is released whatever path the request took.
 */
class WebhookChannelHandlerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HeldSender hub = new HeldSender(id -> id.startsWith("now-"));
    private EmbeddedChannel channel;

    @BeforeEach
    void open() {
        open(Optional.empty());
    }

    private void open(Optional<Secret> functionKey) {
        WebhookHandler handler = new WebhookHandler(Settings.from(Map.of("BRIDGE_MAX_BODY_BYTES", "1000")), new FakeTransforms()
                .route("echo", (body, vars) -> List.of(JSON.valueToTree(Map.of("deviceId", body.path("id").asText(), "telemetry", Map.of())))),
                hub, Runnable::run);
        WebhookChannelHandler.Shared shared = new WebhookChannelHandler.Shared(new RequestRouter(functionKey, 1000, false),
                handler, Optional.empty(), Runnable::run, TimeUnit.SECONDS.toNanos(60));
        channel = new EmbeddedChannel();
        LocalServer.initConnection(channel.pipeline(), shared, Duration.ofSeconds(120));
    }

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private void advance(Duration d) {
        channel.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
    }

    private ByteBuf receive(String bytes) {
        ByteBuf in = Unpooled.copiedBuffer(bytes, StandardCharsets.UTF_8);
        channel.writeInbound(in.retain()); // one reference kept, to see whether the other comes back
        return in;
    }

    /** What the handler wrote so far, as text. */
    private String written() {
        StringBuilder out = new StringBuilder();
        for (ByteBuf b = channel.readOutbound(); b != null; b = channel.readOutbound()) {
            out.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return out.toString();
    }

    private static String echo(String deviceId) {
        return Wire.post("/api/echo", "{\"id\": \"" + deviceId + "\"}");
    }

    /** Every piece of {@code in} the decoder handed on has been released: only the test's own reference is left. */
    private static void assertReleased(ByteBuf in) {
        assertEquals(1, in.refCnt(), "buffers still held by the server");
        in.release();
    }

    @Test
    void aBodyThatStopsArrivingIsAnswered408AndTheConnectionClosedAfterTheRequestTimeout() {
        ByteBuf in = receive("POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"id\"");
        advance(Duration.ofSeconds(59));
        assertTrue(channel.isOpen());
        assertEquals("", written());

        advance(Duration.ofSeconds(2));
        String answer = written();
        assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
        assertTrue(answer.contains("nothing for 60 s") && answer.contains("connection: close"), answer);
        assertFalse(channel.isOpen());
        assertReleased(in);
    }

    @Test
    void aKeepAliveConnectionIsClosedAfterTwoQuietMinutesBetweenRequests() {
        assertReleased(receive(echo("now-1")));
        assertTrue(written().startsWith("HTTP/1.1 200 "));
        advance(Duration.ofSeconds(61));
        assertTrue(channel.isOpen(), "a request's 60 s do not apply between requests");
        advance(Duration.ofSeconds(50));
        assertReleased(receive(echo("now-2")));
        assertTrue(written().startsWith("HTTP/1.1 200 "));

        advance(Duration.ofSeconds(119));
        assertTrue(channel.isOpen(), "quiet since the second answer, not the first");
        advance(Duration.ofSeconds(2));
        assertFalse(channel.isOpen());
        assertEquals("", written(), "closed without an answer: no request was in progress");
    }

    @Test
    void aCallWaitingForTheHubIsNeverTimedOutByTheServer() throws Exception {
        ByteBuf in = receive(echo("slow-hub"));
        HeldSender.Held held = hub.next();
        for (int i = 0; i < 10; i++) {
            advance(Duration.ofMinutes(1));
        }
        assertTrue(channel.isOpen());
        assertEquals("", written());

        held.answer().complete(null);
        assertTrue(written().startsWith("HTTP/1.1 200 "));
        assertTrue(channel.isOpen());
        assertReleased(in);
    }

    @Test
    void everyBufferIsReleasedWhetherABodyIsTakenDroppedRefusedOrHeldBehindAnotherRequest() throws Exception {
        String chunk = "x".repeat(600);
        ByteBuf in = receive(echo("held-first")
                + Wire.post("/nowhere", "y".repeat(3000))
                + "POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n"
                + echo("now-last"));
        hub.next().answer().complete(null);
        String answers = written();
        assertEquals(4, answers.split("HTTP/1.1 ", -1).length - 1, answers);
        assertTrue(answers.indexOf("200 OK") < answers.indexOf("404 Not Found")
                && answers.indexOf("404 Not Found") < answers.indexOf("413 Request Entity Too Large")
                && answers.lastIndexOf("200 OK") > answers.indexOf("413"), answers);
        assertTrue(channel.config().isAutoRead(), "reading resumes once nothing is held");
        assertReleased(in);
    }

    @Test
    void whatIsHeldBehindAPendingAnswerIsReleasedWhenTheConnectionCloses() throws Exception {
        ByteBuf in = receive(echo("held-first") + echo("now-second") + Wire.post("/nowhere", "z".repeat(2000)));
        hub.next();
        assertFalse(channel.config().isAutoRead(), "the socket is not read while requests are held");
        channel.close();
        assertReleased(in);
    }

    /** The status lines of what was written, in order, interim ones included. */
    private static List<String> statusLines(String written) {
        return java.util.regex.Pattern.compile("HTTP/1\\.1 [0-9]{3} [^\r]*").matcher(written).results()
                .map(java.util.regex.MatchResult::group).toList();
    }

    @Test
    void theDecodersWordsInA400HaveTheClientsControlCharactersMadeVisible() throws Exception {
        ByteBuf in = receive("POST /api/echo HTTP/1.1\r\nHost: x\r\nConte" + (char) 0 + "nt-Length: 2\r\n\r\n{}");
        String answer = written();
        assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        String error = JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4)).get("error").textValue();
        assertTrue(error.contains("header 'Conte\\u0000nt-Length'"), "the header named as it came, its NUL shown: " + error);
        assertTrue(error.chars().noneMatch(Character::isISOControl), "no control character of the client's: " + error);
        assertFalse(channel.isOpen());
        assertReleased(in);
    }

    @Test
    void aHeadTheDecoderCouldNotReadIsA400EvenWithExpect100Continue() {
        // routing the broken head failed on its Content-Length: the connection was closed without an answer
        ByteBuf in = receive("POST /api/echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 12abc\r\n\r\n{}");
        String answer = written();
        assertEquals(List.of("HTTP/1.1 400 Bad Request"), statusLines(answer), answer);
        assertTrue(answer.contains("malformed request"), answer);
        assertFalse(channel.isOpen());
        assertReleased(in);

        // a broken header name: the request was offered a 100 Continue before its 400
        open();
        in = receive("POST /api/echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nHo st: x\r\nContent-Length: 2\r\n\r\n{}");
        answer = written();
        assertEquals(List.of("HTTP/1.1 400 Bad Request"), statusLines(answer), answer);
        assertReleased(in);
    }

    @Test
    void aRefusedExpectationBehindAnAwaitedAnswerClosesRatherThanMisreadTheNextRequest() throws Exception {
        // the decoder read the third request while the first waited for the hub, as the second's 5 bytes of body:
        // telling it afterwards that no body follows made it read the third from its sixth byte, a 400 for a good request
        ByteBuf in = receive(echo("held-first")
                + "POST /api/echo HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nContent-Length: 5\r\n\r\n"
                + echo("now-third"));
        hub.next().answer().complete(null);
        String answers = written();
        assertEquals(List.of("HTTP/1.1 200 OK", "HTTP/1.1 417 Expectation Failed"), statusLines(answers), answers);
        assertTrue(answers.endsWith("\"}") && answers.contains("connection: close"), answers);
        assertFalse(channel.isOpen(), "the client sends the third request again, on a new connection");
        assertReleased(in);
    }

    @Test
    void a100ContinueRefusedBehindAnAwaitedAnswerClosesToo() throws Exception {
        // the same with a 413 instead of the 100: the third request was taken as body and never answered
        ByteBuf in = receive(echo("held-first")
                + "POST /api/echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n"
                + echo("now-third"));
        hub.next().answer().complete(null);
        String answers = written();
        assertEquals(List.of("HTTP/1.1 200 OK", "HTTP/1.1 413 Request Entity Too Large"), statusLines(answers), answers);
        assertFalse(channel.isOpen());
        assertReleased(in);
    }

    @Test
    void aRefusedExpectationReadInTurnKeepsTheConnection() {
        ByteBuf in = receive("POST /api/echo HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nContent-Length: 5\r\n\r\n"
                + echo("now-next"));
        String answers = written();
        assertEquals(List.of("HTTP/1.1 417 Expectation Failed", "HTTP/1.1 200 OK"), statusLines(answers), answers);
        assertTrue(channel.isOpen());
        assertReleased(in);
    }

    @Test
    void aHeadCutShortByAHalfCloseGetsItsLengthAndNoBody() {
        // the codec reports the head it could not finish itself, and its encoder then does not know it was a HEAD
        ByteBuf in = receive("HEAD /api/health HTTP/1.1\r\nHost: x\r\n");
        channel.pipeline().fireUserEventTriggered(io.netty.channel.socket.ChannelInputShutdownEvent.INSTANCE);
        String answer = written();
        assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        assertTrue(answer.endsWith("\r\n\r\n"), "an answer to a HEAD has no body: " + answer);
        assertTrue(answer.matches("(?s).*content-length: [1-9][0-9]*\r\n.*"), "the length a GET would get: " + answer);
        assertReleased(in);
    }

    @Test
    void aHeadGetsTheLengthOfTheBodyAGetWouldGetAndNoBody() {
        ByteBuf in = receive("HEAD /api/health HTTP/1.1\r\nHost: x\r\n\r\n");
        String answer = written();
        assertTrue(answer.startsWith("HTTP/1.1 200 ") && answer.contains("content-length: 15\r\n") && answer.endsWith("\r\n\r\n"), answer);
        assertTrue(channel.isOpen());
        assertReleased(in);
    }

    @Test
    void theFunctionKeyIsNeverQuotedBackInA400() throws Exception {
        // a NUL where the colon was, and a colon later on the line: the decoder quoted the name, key and all
        String key = "fk-Q2hlY2tUaGVLZXlOZXZlckxlYWtz";
        channel.finishAndReleaseAll();
        open(Optional.of(Secret.of(key)));
        ByteBuf in = receive("POST /api/echo HTTP/1.1\r\nHost: x\r\nX-Functions-Key" + (char) 0 + " " + key
                + ": x\r\nContent-Length: 2\r\n\r\n{}");
        String answer = written();
        assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        assertFalse(answer.contains(key), answer);
        assertTrue(answer.contains("[function key]"), "where it stood, it is named: " + answer);
        assertReleased(in);
    }
}
