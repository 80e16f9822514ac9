package dev.iotcbridge.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A closed-loop HTTP/1.1 load generator on one thread (NIO), so that it takes as little as possible of the cores it
 * shares with the bridge: C keep-alive connections, each sending its next request as soon as the previous answer has
 * been read, like wrk or autocannon. Every loop is bounded: by the request count, by the duration, and by a hard time
 * limit after which requests still in flight are counted as unfinished.
 */
final class LoadGenerator {

    /** The bytes of request number {@code seq} (0, 1, 2, ... in one run). */
    interface Requests {
        byte[] request(long seq);
    }

    /** How a run ends and what it retries. */
    record Plan(int connections, long maxRequests, long warmupNanos, long durationNanos, long hardLimitNanos,
                long requestTimeoutNanos, int maxAttempts, long thinkNanos) {

        Plan(int connections, long maxRequests, long warmupNanos, long durationNanos, long hardLimitNanos,
             long requestTimeoutNanos, int maxAttempts) {
            this(connections, maxRequests, warmupNanos, durationNanos, hardLimitNanos, requestTimeoutNanos, maxAttempts, 0);
        }

        /** C connections for warm-up + T seconds (no request count limit, no retries). */
        static Plan timed(int connections, double warmupSeconds, double seconds) {
            long warm = (long) (warmupSeconds * 1e9);
            long dur = (long) (seconds * 1e9);
            return new Plan(connections, Long.MAX_VALUE, warm, dur, warm + dur + TimeUnit.SECONDS.toNanos(30),
                    TimeUnit.SECONDS.toNanos(30), 1);
        }

        /**
         * Devices sending steadily: each of C connections sends a request, and {@code thinkSeconds} after its final
         * answer the next one, for {@code issueSeconds}; then no new request is issued and the run ends when every
         * request has its final answer (a sender that retries 503/429 holds its message until then), at the latest
         * {@code limitSeconds} after the start. Every request counts in the window.
         */
        static Plan paced(int connections, double issueSeconds, double limitSeconds, double thinkSeconds, int maxAttempts) {
            return new Plan(connections, Long.MAX_VALUE, 0, (long) (issueSeconds * 1e9), (long) (limitSeconds * 1e9),
                    TimeUnit.SECONDS.toNanos(30), maxAttempts, (long) (thinkSeconds * 1e9));
        }

        /** Exactly {@code requests} requests over C connections, measured from the first; at most {@code limitSeconds}. */
        static Plan counted(int connections, long requests, double limitSeconds, int maxAttempts) {
            long limit = (long) (limitSeconds * 1e9);
            return new Plan(connections, requests, 0, limit, limit, TimeUnit.SECONDS.toNanos(30), maxAttempts);
        }
    }

    /** What a run saw. Latencies are of requests completed inside the measured window, from first attempt to answer. */
    static final class Result {
        final Map<Integer, Long> statuses = new TreeMap<>();       // final status per request; 0 = connection error
        final Map<Integer, Long> firstStatuses = new TreeMap<>();  // status of the first attempt
        final BitSet ok = new BitSet();                            // seq of every request answered 2xx (whole run)
        long issued;
        long completedInWindow;
        long unfinished;
        long timeouts;
        long connectionErrors;
        long retries;
        long reconnects;
        double windowSeconds;
        long windowStartNanos;
        long windowEndNanos;
        long lastCompletionNanos;  // System.nanoTime() of the last final answer
        int[] latencyMicros = new int[1 << 16];
        int latencies;
        long droppedLatencies;

        long non2xx() {
            return statuses.entrySet().stream().filter(e -> e.getKey() / 100 != 2).mapToLong(Map.Entry::getValue).sum();
        }

        long count2xx() {
            return statuses.entrySet().stream().filter(e -> e.getKey() / 100 == 2).mapToLong(Map.Entry::getValue).sum();
        }

        double perSecond() {
            return completedInWindow / windowSeconds;
        }

        void latency(long nanos) {
            if (latencies == latencyMicros.length) {
                if (latencyMicros.length >= (1 << 26)) {
                    droppedLatencies++;
                    return;
                }
                latencyMicros = java.util.Arrays.copyOf(latencyMicros, latencyMicros.length * 2);
            }
            latencyMicros[latencies++] = (int) Math.min(Integer.MAX_VALUE, nanos / 1000);
        }

        /** Latency at quantile q (0..1) in milliseconds; sorts the samples on first use. */
        double percentileMillis(double q) {
            if (latencies == 0) {
                return Double.NaN;
            }
            if (!sorted) {
                java.util.Arrays.sort(latencyMicros, 0, latencies);
                sorted = true;
            }
            int i = (int) Math.min(latencies - 1, Math.max(0, Math.ceil(q * latencies) - 1));
            return latencyMicros[i] / 1000.0;
        }

        private boolean sorted;
    }

    private static final byte[] CRLFCRLF = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final InetSocketAddress target;
    private final Plan plan;
    private final Requests requests;
    private final Result result = new Result();

    private LoadGenerator(InetSocketAddress target, Plan plan, Requests requests) {
        this.target = target;
        this.plan = plan;
        this.requests = requests;
    }

    /** Called on the generator's thread when the measured window opens and when it closes. */
    interface Window {
        void opened();

        void closed();
    }

    private static final Window NO_WINDOW = new Window() {
        @Override
        public void opened() {
        }

        @Override
        public void closed() {
        }
    };

    private Window window = NO_WINDOW;
    private boolean opened;
    private boolean closed;

    static Result run(InetSocketAddress target, Plan plan, Requests requests) throws IOException {
        return new LoadGenerator(target, plan, requests).run();
    }

    static Result run(InetSocketAddress target, Plan plan, Requests requests, Window window) throws IOException {
        LoadGenerator g = new LoadGenerator(target, plan, requests);
        g.window = window;
        return g.run();
    }

    private void tick(long now, long windowEnd) {
        if (!opened && now >= result.windowStartNanos) {
            opened = true;
            window.opened();
        }
        if (!closed && now >= windowEnd) {
            closed = true;
            window.closed();
        }
    }

    private final class Conn {
        SocketChannel channel;
        SelectionKey key;
        ByteBuffer out;
        long seq = -1;          // request in flight, or -1
        int attempt;
        long firstStartNanos;
        long attemptStartNanos;
        long notBeforeNanos;    // a retry waiting for its Retry-After
        int firstStatus;
        boolean resent;         // this attempt was already sent again after the server closed an idle connection
        byte[] in = new byte[4096];
        int inLen;
    }

    private long nextSeq;
    private long startNanos;

    private Result run() throws IOException {
        try (Selector selector = Selector.open()) {
            List<Conn> conns = new ArrayList<>(plan.connections());
            for (int i = 0; i < plan.connections(); i++) {
                Conn c = new Conn();
                connect(c, selector);
                conns.add(c);
            }
            startNanos = System.nanoTime();
            result.windowStartNanos = startNanos + plan.warmupNanos();
            long windowEnd = startNanos + plan.warmupNanos() + plan.durationNanos();
            long hardEnd = startNanos + plan.hardLimitNanos();
            tick(startNanos, windowEnd);
            for (int i = 0; i < conns.size(); i++) {
                if (plan.thinkNanos() > 0) {
                    // steady senders start spread over one interval, not all in the same millisecond
                    issueLater(conns.get(i), startNanos + plan.thinkNanos() * i / conns.size(), windowEnd);
                } else {
                    issueNext(conns.get(i), selector, startNanos, windowEnd);
                }
            }
            while (true) {
                long now = System.nanoTime();
                tick(now, windowEnd);
                int busy = 0;
                for (Conn c : conns) {
                    if (c.seq < 0) {
                        continue;
                    }
                    busy++;
                    if (c.out == null && c.notBeforeNanos != 0 && now >= c.notBeforeNanos) {
                        c.notBeforeNanos = 0;
                        send(c, selector, now);
                    } else if (c.notBeforeNanos == 0 && now - c.attemptStartNanos > plan.requestTimeoutNanos()) {
                        result.timeouts++;
                        finish(c, 0, now);
                        reconnect(c, selector);
                        issueNext(c, selector, now, windowEnd);
                    }
                }
                if (busy == 0 || now >= hardEnd) {
                    result.unfinished = busy;
                    if (!closed) {
                        closed = true;
                        window.closed();
                    }
                    break;
                }
                selector.select(10);
                now = System.nanoTime();
                // a copy: a reconnect below runs selectNow, which changes the selected-key set
                List<SelectionKey> ready = new ArrayList<>(selector.selectedKeys());
                selector.selectedKeys().clear();
                for (SelectionKey k : ready) {
                    Conn c = (Conn) k.attachment();
                    if (!k.isValid() || c.seq < 0) {
                        continue;
                    }
                    try {
                        if (k.isWritable()) {
                            write(c);
                        }
                        if (k.isReadable()) {
                            read(c, selector, now, windowEnd);
                        }
                    } catch (IOException e) {
                        if (c.out == null && c.notBeforeNanos != 0) {
                            // closed while the request waits for its time (Retry-After, or a steady sender's
                            // interval): it is sent when due, on a new connection
                            reconnect(c, selector);
                            continue;
                        }
                        if (c.inLen == 0 && !c.resent) {
                            // the server closed the connection while it was idle (the JDK server keeps at most 200
                            // idle connections): nothing was answered, so send the same request on a new one
                            c.resent = true;
                            result.reconnects++;
                            reconnect(c, selector);
                            send(c, selector, now);
                            continue;
                        }
                        result.connectionErrors++;
                        finish(c, 0, now);
                        reconnect(c, selector);
                        issueNext(c, selector, now, windowEnd);
                    }
                }
            }
            result.windowEndNanos = Math.min(System.nanoTime(), windowEnd);
            if (plan.maxRequests() != Long.MAX_VALUE) {
                result.windowEndNanos = lastCompletionNanos;
            }
            result.windowSeconds = Math.max(1e-9, (result.windowEndNanos - result.windowStartNanos) / 1e9);
            for (Conn c : conns) {
                c.channel.close();
            }
        }
        return result;
    }

    private long lastCompletionNanos;

    private void issueNext(Conn c, Selector selector, long now, long windowEnd) throws IOException {
        if (nextSeq >= plan.maxRequests() || now >= windowEnd) {
            c.seq = -1;
            return;
        }
        c.seq = nextSeq++;
        result.issued++;
        c.attempt = 1;
        c.firstStartNanos = now;
        send(c, selector, now);
    }

    private void send(Conn c, Selector selector, long now) throws IOException {
        if (c.key == null || !c.key.isValid() || !c.channel.isOpen()) {
            reconnect(c, selector);
        }
        c.attemptStartNanos = now;
        c.out = ByteBuffer.wrap(requests.request(c.seq));
        c.inLen = 0;
        try {
            write(c);
        } catch (IOException e) {
            if (!c.resent) {
                c.resent = true;
                result.reconnects++;
                reconnect(c, selector);
                send(c, selector, now);
                return;
            }
            result.connectionErrors++;
            finish(c, 0, now);
            reconnect(c, selector);
        }
    }

    private void write(Conn c) throws IOException {
        c.channel.write(c.out);
        if (c.out.hasRemaining()) {
            c.key.interestOps(SelectionKey.OP_WRITE | SelectionKey.OP_READ);
        } else {
            c.out = null;
            c.key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void read(Conn c, Selector selector, long now, long windowEnd) throws IOException {
        if (c.inLen == c.in.length) {
            c.in = java.util.Arrays.copyOf(c.in, c.in.length * 2);
        }
        int n = c.channel.read(ByteBuffer.wrap(c.in, c.inLen, c.in.length - c.inLen));
        if (n < 0) {
            throw new IOException("connection closed by the server");
        }
        c.inLen += n;
        int headerEnd = indexOf(c.in, c.inLen, CRLFCRLF);
        if (headerEnd < 0) {
            return;
        }
        String head = new String(c.in, 0, headerEnd, StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(head.substring(9, 12));
        long length = header(head, "content-length").map(Long::parseLong).orElse(0L);
        if (header(head, "transfer-encoding").isPresent()) {
            throw new IOException("chunked answers are not expected from the bridge");
        }
        if (c.inLen < headerEnd + 4 + length) {
            return;
        }
        boolean close = header(head, "connection").map(v -> v.equalsIgnoreCase("close")).orElse(false);
        boolean tryLater = status == 503 || status == 429;
        if (c.attempt == 1) {
            c.firstStatus = status;
        }
        if (tryLater && c.attempt < plan.maxAttempts()) {
            long wait = header(head, "retry-after").map(v -> TimeUnit.SECONDS.toNanos(Long.parseLong(v.trim()))).orElse(TimeUnit.SECONDS.toNanos(1));
            c.attempt++;
            c.resent = false;
            result.retries++;
            c.notBeforeNanos = Math.max(1, now + wait);
            c.out = null;
            c.inLen = 0;
            if (close) {
                reconnect(c, selector);
            }
            return;
        }
        finish(c, status, now);
        if (close) {
            reconnect(c, selector);
        }
        if (plan.thinkNanos() > 0) {
            issueLater(c, now + plan.thinkNanos(), windowEnd);
        } else {
            issueNext(c, selector, now, windowEnd);
        }
    }

    /** Takes the next request now and sends it at {@code at} (the main loop sends a due request). */
    private void issueLater(Conn c, long at, long windowEnd) {
        if (nextSeq >= plan.maxRequests() || at >= windowEnd) {
            c.seq = -1;
            return;
        }
        c.seq = nextSeq++;
        result.issued++;
        c.attempt = 1;
        c.firstStartNanos = at;
        c.out = null;
        c.inLen = 0;
        c.notBeforeNanos = at;
    }

    private void finish(Conn c, int status, long now) {
        result.statuses.merge(status, 1L, Long::sum);
        result.firstStatuses.merge(c.attempt == 1 ? status : c.firstStatus, 1L, Long::sum);
        if (status / 100 == 2) {
            result.ok.set((int) c.seq);
        }
        if (now >= result.windowStartNanos && now < startNanos + plan.warmupNanos() + plan.durationNanos()) {
            result.completedInWindow++;
            result.latency(now - c.firstStartNanos);
        }
        lastCompletionNanos = now;
        result.lastCompletionNanos = now;
        c.seq = -1;
        c.out = null;
        c.inLen = 0;
        c.notBeforeNanos = 0;
        c.resent = false;
    }

    private void connect(Conn c, Selector selector) throws IOException {
        SocketChannel ch = SocketChannel.open();
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.connect(target);
        ch.configureBlocking(false);
        c.channel = ch;
        c.key = ch.register(selector, SelectionKey.OP_READ, c);
    }

    private void reconnect(Conn c, Selector selector) throws IOException {
        c.key.cancel();
        c.channel.close();
        selector.selectNow(); // let the cancelled key go before the new channel registers
        for (int attempt = 0; ; attempt++) {
            try {
                connect(c, selector);
                return;
            } catch (IOException e) {
                result.connectionErrors++;
                if (attempt >= 50) {
                    throw e;
                }
                BridgeProcess.sleep(10);
            }
        }
    }

    private static java.util.Optional<String> header(String head, String name) {
        int i = head.toLowerCase(java.util.Locale.ROOT).indexOf("\r\n" + name + ":");
        if (i < 0) {
            return java.util.Optional.empty();
        }
        int start = i + 2 + name.length() + 1;
        int end = head.indexOf("\r\n", start);
        return java.util.Optional.of(head.substring(start, end < 0 ? head.length() : end).trim());
    }

    private static int indexOf(byte[] a, int len, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= len; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (a[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
