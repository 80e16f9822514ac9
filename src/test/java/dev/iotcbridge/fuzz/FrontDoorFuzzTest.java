package dev.iotcbridge.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.config.Secret;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.TryLaterException;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.iot.TelemetrySender;
import dev.iotcbridge.server.FrontDoor;
import dev.iotcbridge.testing.FakeTransforms;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP front door: the local server's pipeline for one connection (Netty's codec, the stall timers, the order of
 * answers, keep-alive, the interim 100, the bridge's own handler) fed bytes split at arbitrary points, with the hub
 * answering when the fuzzer says. Whatever arrives, nothing is thrown out of the pipeline and nothing is logged as a
 * crash; every answer is a well-formed HTTP response with its length; no request is answered twice and answers leave
 * in the order of the requests; a request read whole is answered unless the connection was closed before it; what
 * the decoder cannot read is answered 400 and the connection closed; no body the handler is given is over the limit;
 * every buffer the connection was handed is released; the function key is in no answer or log record.
 *
 * <p>Entry: {@code LocalServer.initConnection} on an {@code EmbeddedChannel} ({@link FrontDoor}). Generator: a few
 * requests of known kinds (webhooks with a length or chunked, refusals for the key, the method, the size, the
 * expectation, a malformed head, HTTP/1.0, Connection: close), each with the answer it must get, the last one at times
 * cut short and the connection then half-closed or left to stall. One input in four is then edited a few bytes
 * (inserted, removed, replaced), and only the invariants that hold for any bytes are checked.
 */
class FrontDoorFuzzTest {

    private static final int LIMIT = 600;
    /** The function key: a secret, which no answer and no log record may hold. */
    private static final String KEY = "fk-Q2hlY2tUaGVLZXlOZXZlckxlYWtz";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The lengths of the bodies the transform was given, as the tree writes them back. */
    private static final List<Integer> BODIES = new ArrayList<>();
    private static final Hub HUB = new Hub();
    private static final WebhookHandler HANDLER = new WebhookHandler(Settings.from(Map.of("BRIDGE_MAX_BODY_BYTES",
            Integer.toString(LIMIT))), new FakeTransforms().route("echo", (body, vars) -> {
                BODIES.add(body.toString().length());
                return List.of(JSON.valueToTree(Map.of("deviceId", body.path("id").asText(), "telemetry", Map.of("t", 1))));
            }), HUB, Runnable::run);
    /** Bytes an edit inserts: those that end lines, split headers and chunks, and a few that never belong in a head. */
    private static final byte[] EDIT_BYTES = "\r\n: ;0x9-\u0000\t/?".getBytes(StandardCharsets.ISO_8859_1);
    /** Requests the decoder cannot read, in the head or in the body; each has the key, so that only the bytes are wrong. */
    private static final List<String> MALFORMED = List.of(
            "GARBAGE\r\n\r\n",
            "POST /api/echo HTTP/1.1\r\nHost: x\r\nX-Functions-Key: " + KEY + "\r\nContent-Length: abc\r\n\r\n",
            "POST /api/echo HTTP/1.1\r\nHost: x\r\nX-Functions-Key: " + KEY + "\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
            "POST /api/echo HTTP/1.1\r\nHost: x\r\nX-Functions-Key: " + KEY + "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
            "POST /api/echo HTTP/1.1\r\nHost: x\r\nX-Functions-Key: " + KEY + "\r\nHo st: x\r\n\r\n");

    /** The hub: a device named now-* is accepted at once, the others when the target completes their answer. */
    private static final class Hub implements TelemetrySender {
        final ArrayDeque<CompletableFuture<Void>> pending = new ArrayDeque<>();

        @Override
        public void send(DeviceMessage message, Duration budget) {
            throw new UnsupportedOperationException("the local server sends asynchronously");
        }

        @Override
        public CompletableFuture<Void> sendAsync(DeviceMessage message, Duration budget) {
            if (message.deviceId().startsWith("now-")) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> answer = new CompletableFuture<>();
            pending.add(answer);
            return answer;
        }
    }

    /** One request as the codec decoded it. */
    private static final class Head {
        final HttpMethod method;
        /** The head itself could not be read; its answer, whenever one is written, is a 400. */
        final boolean headFailed;
        /** The head or its body could not be read (a body can fail after its answer, a 413, was written). */
        boolean failed;
        boolean complete;

        Head(HttpMethod method, boolean headFailed) {
            this.method = method;
            this.headFailed = headFailed;
            this.failed = headFailed;
        }
    }

    /** Sees each request as decoded, right after the codec, before anything holds it back. */
    private static final class Spy extends ChannelInboundHandlerAdapter {
        final List<Head> heads = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest r) {
                heads.add(new Head(r.method(), r.decoderResult().isFailure()));
            }
            if (msg instanceof HttpContent c && !heads.isEmpty()) {
                Head h = heads.get(heads.size() - 1);
                h.failed |= c.decoderResult().isFailure();
                h.complete |= msg instanceof LastHttpContent && !h.failed;
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** A generated request, the final status it must get, and what it does to the connection. */
    private record Request(String text, int status, boolean interim, boolean closes, int bodyStart, boolean cuttable,
                           boolean mayClose) {
        Request(String text, int status, boolean interim, boolean closes, int bodyStart, boolean cuttable) {
            this(text, status, interim, closes, bodyStart, cuttable, false);
        }
    }

    /** One answer as written, an interim 100 included. */
    private record Answer(int status, Map<String, String> headers, String body, boolean toHead) {
        boolean closes() {
            return "close".equalsIgnoreCase(headers.get("connection"));
        }
    }

    @FuzzTest
    void connection(byte[] data) {
        FuzzInput in = new FuzzInput(data);
        List<Request> requests = new ArrayList<>();
        int count = 1 + in.below(6);
        for (int i = 0; i < count; i++) {
            Request r = request(in, i);
            requests.add(r);
            if (r.closes()) {
                break;
            }
        }
        StringBuilder text = new StringBuilder();
        requests.forEach(r -> text.append(r.text()));
        // the last request cut in its body: the connection then half-closes (400), stalls (408) or just waits
        Request last = requests.get(requests.size() - 1);
        boolean cut = last.cuttable() && in.oneIn(4);
        if (cut) {
            int start = text.length() - last.text().length();
            text.setLength(start + last.bodyStart() + in.below(last.text().length() - last.bodyStart()));
        }
        int ending = in.below(3);
        byte[] stream = text.toString().getBytes(StandardCharsets.ISO_8859_1);
        boolean edited = in.oneIn(4);
        if (edited) {
            stream = edit(in, stream);
        }
        String shown = (edited ? "edited " : "") + (cut ? "cut " : "") + "ending " + ending + ": " + Inputs.visible(stream);

        Watch watch = Watch.get().secrets(Map.of(KEY, "function key"), Map.of());
        watch.begin();
        HUB.pending.clear();
        BODIES.clear();
        Spy spy = new Spy();
        EmbeddedChannel channel = FrontDoor.connection(HANDLER, LIMIT, Optional.of(Secret.of(KEY)), spy);
        List<ByteBuf> given = new ArrayList<>();
        try {
            int pos = 0;
            // a closed connection reads nothing more: what the client still sends is lost, as on a socket
            while (pos < stream.length && channel.isOpen()) {
                int n = 1 + in.below(Math.min(stream.length - pos, 65_536));
                ByteBuf piece = Unpooled.copiedBuffer(stream, pos, n);
                given.add(piece);
                pos += n;
                channel.writeInbound(piece.retain()); // one reference kept, to see whether the other comes back
                if (in.bool()) {
                    answerOne(in, edited);
                }
                channel.runPendingTasks();
            }
            answerAll(in, edited);
            if (ending == 1) {
                channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            } else if (ending == 2) {
                channel.advanceTimeBy(FrontDoor.REQUEST_TIMEOUT.toNanos() + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
                channel.runScheduledPendingTasks();
            }
            answerAll(in, edited);
            channel.runPendingTasks();
            channel.checkException();
        } catch (RuntimeException | Error e) {
            channel.finishAndReleaseAll();
            given.forEach(b -> b.release(b.refCnt()));
            if (e instanceof AssertionError a) {
                throw a;
            }
            throw new AssertionError("the pipeline threw " + e + "\ninput: " + shown, e);
        }

        byte[] out = written(channel);
        String wire = new String(out, StandardCharsets.ISO_8859_1);
        watch.see(wire);
        boolean open = channel.isOpen();
        List<Answer> answers = answers(wire, spy.heads, shown);
        List<Answer> finals = answers.stream().filter(a -> a.status() >= 200).toList();
        check(finals, spy.heads, open, shown);
        if (!edited) {
            expected(requests, cut, ending, answers, finals, open, shown);
        }
        if (!edited) {
            // generated bodies are compact ASCII JSON, whose text the tree gives back exactly; an edited one could read
            // back longer than it came (1e9 is written 1.0E9), so the limit is checked on the generated ones, next to
            // the exact 413s of the requests generated past it
            for (int size : BODIES) {
                assertTrue(size <= LIMIT, "the handler was given a body of " + size + " bytes, over the limit " + LIMIT + "\n" + shown);
            }
        }

        channel.close();
        channel.runPendingTasks();
        for (ByteBuf b : given) {
            assertEquals(1, b.refCnt(), "a buffer the connection was handed is still held after it closed\ninput: " + shown);
            b.release();
        }
        channel.finishAndReleaseAll();
        watch.end(shown);
    }

    /** What holds for any bytes. */
    private static void check(List<Answer> finals, List<Head> heads, boolean open, String shown) {
        assertTrue(finals.size() <= heads.size(), finals.size() + " answers to " + heads.size() + " requests\ninput: " + shown);
        for (int i = 0; i < finals.size(); i++) {
            Answer a = finals.get(i);
            if (a.closes() && i < finals.size() - 1) {
                fail("answer " + (i + 1) + " closes the connection, yet " + (finals.size() - 1 - i) + " more followed\ninput: " + shown);
            }
            if (heads.get(i).headFailed && a.status() != 400) {
                fail("a request the decoder could not read was answered " + a.status() + "\ninput: " + shown);
            }
            if (a.status() >= 400 && !a.toHead()) { // an answer to a HEAD has its length but no body
                JsonNode error;
                try {
                    error = JSON.readTree(a.body()).get("error");
                } catch (Exception e) {
                    error = null;
                }
                assertTrue(error != null && error.isTextual(), "a " + a.status() + " without an error message: " + a.body() + "\ninput: " + shown);
                CallerText.check("the " + a.status(), error.textValue(), shown);
            }
        }
        if (!finals.isEmpty() && finals.get(finals.size() - 1).closes()) {
            assertTrue(!open, "an answer said Connection: close and the connection stayed open\ninput: " + shown);
        }
        if (heads.stream().anyMatch(h -> h.failed)) {
            assertTrue(!open, "the connection stayed open after a request the decoder could not read\ninput: " + shown);
        }
        if (open) {
            for (int i = 0; i < heads.size(); i++) {
                if (heads.get(i).complete && i >= finals.size()) {
                    fail("request " + (i + 1) + " was read whole and never answered (" + finals.size() + " answers)\ninput: " + shown);
                }
            }
        }
    }

    /** What a request of a known kind must get, when the bytes are as generated. */
    private static void expected(List<Request> requests, boolean cut, int ending, List<Answer> answers, List<Answer> finals,
                                 boolean open, String shown) {
        List<Integer> statuses = new ArrayList<>();
        long interims = 0;
        boolean closes = false;
        for (int i = 0; i < requests.size(); i++) {
            Request r = requests.get(i);
            interims += r.interim() ? 1 : 0;
            if (i == requests.size() - 1 && cut) {
                // a body that stopped: the half-close is a 400, the stall a 408, and nothing when the client just waits
                if (ending == 1) {
                    statuses.add(400);
                    closes = true;
                } else if (ending == 2) {
                    statuses.add(408);
                    closes = true;
                }
            } else {
                statuses.add(r.status());
                closes |= r.closes();
                if (r.mayClose() && finals.size() == statuses.size() && finals.get(i).closes()) {
                    closes = true;
                }
            }
            if (closes) {
                break; // nothing after a closing answer is answered
            }
        }
        closes |= ending == 1; // a half-close with no request in progress closes the connection
        assertEquals(statuses, finals.stream().map(Answer::status).toList(), "the answers, in order\ninput: " + shown);
        assertEquals(interims, answers.stream().filter(a -> a.status() == 100).count(), "the interim 100s\ninput: " + shown);
        assertEquals(!closes, open, "whether the connection is open\ninput: " + shown);
    }

    private static Request request(FuzzInput in, int i) {
        String id = (in.bool() ? "held-" : "now-") + i;
        String body = "{\"id\":\"" + id + "\"}";
        boolean query = in.bool();
        String target = "/api/echo" + (query ? "?code=" + KEY : "");
        String key = query ? "" : "X-Functions-Key: " + KEY + "\r\n";
        return switch (in.below(16)) {
            case 0 -> post(target, key, body, 200, false, true);
            case 1 -> chunked(in, target, key, body, 200);
            case 2 -> plain("GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n", 200, false);
            case 3 -> plain("GET " + target + " HTTP/1.1\r\nHost: x\r\n" + key + "\r\n", 405, false);
            case 4 -> post("/nowhere", key, body, 404, false, false);
            case 5 -> post(target, key, "x".repeat(LIMIT + 1 + in.below(100)), 413, false, false);
            case 6 -> chunked(in, target, key, "[" + "1,".repeat(LIMIT / 2 + in.below(100)) + "1]", 413);
            case 7 -> {
                Request r = post(target, key + "Expect: 100-continue\r\n", body, 200, false, true);
                yield new Request(r.text(), 200, true, false, r.bodyStart(), true);
            }
            // a final answer instead of the 100: the client sends no body
            // (whether one does is known only to the client: when the decoder has already read past the head, the
            // answer closes the connection instead, since where the next request starts is then unknown)
            case 8 -> new Request("POST " + target + " HTTP/1.1\r\nHost: x\r\n" + key
                    + "Expect: something-else\r\nContent-Length: 5\r\n\r\n", 417, false, false, 0, false, true);
            case 9 -> post(target, key, "{\"id\":", 400, false, true);
            case 10 -> post("/api/echo", "X-Functions-Key: not-the-key\r\n", body, 401, false, false);
            case 11 -> post(target, key + "Connection: close\r\n", body, 200, true, false);
            case 12 -> {
                boolean keepAlive = in.bool();
                String head = "POST " + target + " HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\n" + key
                        + (keepAlive ? "Connection: keep-alive\r\n" : "") + "Content-Length: " + body.length() + "\r\n\r\n";
                yield new Request(head + body, 200, false, !keepAlive, head.length(), false);
            }
            case 13 -> plain("HEAD /api/health HTTP/1.1\r\nHost: x\r\n\r\n", 200, false);
            case 14 -> plain(in.oneOf(MALFORMED), 400, true);
            default -> post(target, key + "X-Long: " + "v".repeat(2_000 + in.below(2_000)) + "\r\n", body, 200, false, true);
        };
    }

    private static Request plain(String text, int status, boolean closes) {
        return new Request(text, status, false, closes, text.length(), false);
    }

    private static Request post(String target, String headers, String body, int status, boolean closes, boolean cuttable) {
        String head = "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + headers
                + "Content-Length: " + body.length() + "\r\n\r\n";
        return new Request(head + body, status, false, closes, head.length(), cuttable && !body.isEmpty());
    }

    /** The body in one to four chunks, at times with a chunk extension. */
    private static Request chunked(FuzzInput in, String target, String headers, String body, int status) {
        StringBuilder b = new StringBuilder("POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + headers + "Transfer-Encoding: chunked\r\n\r\n");
        int bodyStart = b.length();
        int pos = 0;
        int chunks = 1 + in.below(4);
        for (int c = 0; c < chunks && pos < body.length(); c++) {
            int n = c == chunks - 1 ? body.length() - pos : 1 + in.below(body.length() - pos);
            b.append(Integer.toHexString(n)).append(in.oneIn(4) ? ";ext=1" : "").append("\r\n")
                    .append(body, pos, pos + n).append("\r\n");
            pos += n;
        }
        b.append("0\r\n\r\n");
        return new Request(b.toString(), status, false, false, bodyStart, false);
    }

    /** One to three bytes inserted, removed or replaced. */
    private static byte[] edit(FuzzInput in, byte[] stream) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] s = stream;
        int edits = 1 + in.below(3);
        for (int e = 0; e < edits && s.length > 0; e++) {
            int at = in.below(Math.min(s.length, 65_536));
            byte b = in.bool() ? EDIT_BYTES[in.below(EDIT_BYTES.length)] : (byte) in.u8();
            out.reset();
            switch (in.below(3)) {
                case 0 -> {
                    out.write(s, 0, at);
                    out.write(b);
                    out.write(s, at, s.length - at);
                }
                case 1 -> {
                    out.write(s, 0, at);
                    out.write(s, at + 1, s.length - at - 1);
                }
                default -> {
                    out.write(s, 0, s.length);
                    byte[] r = out.toByteArray();
                    r[at] = b;
                    out.reset();
                    out.write(r, 0, r.length);
                }
            }
            s = out.toByteArray();
        }
        return s;
    }

    /** Completes the oldest answer the hub holds: a delivery, or (for edited bytes) at times a busy hub. */
    private static void answerOne(FuzzInput in, boolean edited) {
        CompletableFuture<Void> f = HUB.pending.poll();
        if (f == null) {
            return;
        }
        if (edited && in.oneIn(4)) {
            f.completeExceptionally(new TryLaterException(503, "IoT Hub is busy", Duration.ofSeconds(3)));
        } else {
            f.complete(null);
        }
    }

    private static void answerAll(FuzzInput in, boolean edited) {
        // one request at a time: each answer lets the next request reach the hub; bounded by the requests sent
        for (int i = 0; i < 64 && !HUB.pending.isEmpty(); i++) {
            answerOne(in, edited);
        }
    }

    private static byte[] written(EmbeddedChannel channel) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object o = channel.readOutbound(); o != null; o = channel.readOutbound()) {
            if (o instanceof ByteBuf b) {
                byte[] bytes = new byte[b.readableBytes()];
                b.getBytes(b.readerIndex(), bytes);
                out.write(bytes, 0, bytes.length);
                b.release();
            } else {
                fail("the pipeline wrote " + o.getClass().getName() + " rather than bytes");
            }
        }
        return out.toByteArray();
    }

    /**
     * The answers on the wire, each with a status line, headers and the body its Content-Length says (none for a 1xx,
     * 204 or 304, or the answer to a HEAD): anything else, a partial answer included, fails.
     */
    private static List<Answer> answers(String wire, List<Head> heads, String shown) {
        List<Answer> answers = new ArrayList<>();
        int pos = 0;
        int finals = 0;
        while (pos < wire.length()) {
            int end = wire.indexOf("\r\n\r\n", pos);
            if (end < 0) {
                fail("a partial answer: " + Inputs.visible(wire.substring(pos)) + "\ninput: " + shown);
            }
            String[] lines = wire.substring(pos, end).split("\r\n", -1);
            if (!lines[0].matches("HTTP/1\\.1 [1-5][0-9][0-9] [ -~]*")) {
                fail("not a status line: " + Inputs.visible(lines[0]) + "\ninput: " + shown);
            }
            int status = Integer.parseInt(lines[0].substring(9, 12));
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0 || !lines[i].matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+:[ -~]*")) {
                    fail("not a header line: " + Inputs.visible(lines[i]) + "\ninput: " + shown);
                }
                String name = lines[i].substring(0, colon).toLowerCase(Locale.ROOT);
                if (headers.put(name, lines[i].substring(colon + 1).trim()) != null) {
                    fail("header " + name + " twice in one answer\ninput: " + shown);
                }
            }
            pos = end + 4;
            boolean head = status >= 200 && finals < heads.size() && heads.get(finals).method.equals(HttpMethod.HEAD);
            String body = "";
            if (status >= 200 && status != 204 && status != 304) {
                String length = headers.get("content-length");
                if (length == null || !length.matches("[0-9]{1,9}")) {
                    fail("a " + status + " without a Content-Length: " + headers + "\ninput: " + shown);
                }
                if (!head) {
                    int n = Integer.parseInt(length);
                    if (pos + n > wire.length()) {
                        fail("an answer shorter than its Content-Length\ninput: " + shown);
                    }
                    body = new String(wire.substring(pos, pos + n).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
                    pos += n;
                }
            }
            if (status >= 200) {
                finals++;
            }
            answers.add(new Answer(status, headers, body, head));
        }
        return answers;
    }
}
