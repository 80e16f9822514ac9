package dev.iotcbridge.downlink;

import dev.iotcbridge.error.Completion;
import dev.iotcbridge.net.EventLoops;
import dev.iotcbridge.net.Origin;
import dev.iotcbridge.net.PooledHttpClient;
import dev.iotcbridge.net.ReceivedResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.X509TrustManager;

/**
 * Requests to the clouds' downlink APIs, on the process's event loops. The client is made on the first downlink, so a
 * bridge that never sends one never holds it. No redirect is followed: a redirect must not carry the API key on.
 */
final class CloudApi {

    /** How much of a cloud's answer is kept: enough for its error description. */
    private static final int MAX_ANSWER = 4 * 1024;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);

    private final EventLoops loops;
    private final X509TrustManager trust;
    private volatile PooledHttpClient http;

    /** @param trust the certificates a cloud's must chain to; null for the JVM's trust store */
    CloudApi(EventLoops loops, X509TrustManager trust) {
        this.loops = loops;
        this.trust = trust;
    }

    /** How the cloud took a downlink. */
    enum Outcome {
        /** 2xx: it is the cloud's now. */
        ACCEPTED,
        /** 408, 425, 429, 5xx, or no answer in time: it may take it later. */
        TRANSIENT,
        /** Any other answer (4xx, 3xx): it never will, as sent. */
        REFUSED
    }

    /**
     * What the cloud made of one downlink: how it took it, the HTTP status (0 when it did not answer), and the start of
     * what it said, without the secret or the URL's path.
     */
    record Verdict(Outcome outcome, int status, String detail) {
    }

    /** A request ready to go: where, what, and the headers (the secret one included, never shown). */
    record Call(DownlinkHosts.Target target, String method, Map<String, String> headers, byte[] body) {
        @Override
        public String toString() {
            return method + " " + target; // never the headers or the path
        }
    }

    CompletableFuture<Verdict> send(Call call, Duration timeout, String secret) {
        HttpHeaders headers = new DefaultHttpHeaders(false);
        call.headers().forEach(headers::add);
        if (call.body() != null) {
            headers.set("Content-Type", "application/json");
        }
        headers.set("Accept", "application/json");
        headers.set("User-Agent", "iotc-webhook-bridge");
        DownlinkHosts.Target t = call.target();
        Origin origin = Origin.of(t.scheme(), t.hostPort());
        return client().request(HttpMethod.valueOf(call.method()), origin, t.pathAndQuery(), headers,
                call.body() == null ? new byte[0] : call.body(), Math.max(1, timeout.toNanos()), MAX_ANSWER)
                .handle((answer, failure) -> failure != null ? noAnswer(failure) : verdict(answer, secret, t));
    }

    private static Verdict noAnswer(Throwable failure) {
        Throwable cause = Completion.cause(failure);
        String what = cause instanceof SocketTimeoutException ? "no answer in time" : "no answer ("
                + cause.getClass().getSimpleName() + ")";
        return new Verdict(Outcome.TRANSIENT, 0, what);
    }

    private static Verdict verdict(ReceivedResponse answer, String secret, DownlinkHosts.Target target) {
        int s = answer.status();
        Outcome outcome = answer.successful() ? Outcome.ACCEPTED
                : s == 408 || s == 425 || s == 429 || s >= 500 ? Outcome.TRANSIENT : Outcome.REFUSED;
        return new Verdict(outcome, s, "HTTP " + s + said(answer.body(), secret, target));
    }

    /** The start of the cloud's explanation, without the secret or the URL's path if it echoes them. */
    private static String said(byte[] body, String secret, DownlinkHosts.Target target) {
        if (body.length == 0) {
            return "";
        }
        String text = new String(body, 0, Math.min(body.length, 400), StandardCharsets.UTF_8);
        if (secret != null && !secret.isEmpty()) {
            text = text.replace(secret, "[hidden]");
        }
        String path = target.pathAndQuery();
        if (path.length() > 1) {
            text = text.replace(path, "[path]");
        }
        StringBuilder b = new StringBuilder(" (");
        for (int i = 0; i < text.length() && b.length() < 160; i++) {
            char c = text.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : ' ');
        }
        return b.append(')').toString();
    }

    private PooledHttpClient client() {
        PooledHttpClient c = http;
        if (c == null) {
            synchronized (this) {
                c = http;
                if (c == null) {
                    c = new PooledHttpClient(loops, trust, CONNECT_TIMEOUT, 64, Duration.ofMinutes(2), MAX_ANSWER);
                    http = c;
                }
            }
        }
        return c;
    }
}
