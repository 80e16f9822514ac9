package dev.iotcbridge.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.iotcbridge.net.ScriptedHttpServer.Act;
import dev.iotcbridge.sim.SimTls;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PooledHttpClientTest {

    private static final long TEN_SECONDS = TimeUnit.SECONDS.toNanos(10);
    private static EventLoops loops;
    private static PooledHttpClient client;
    private static PooledHttpClient trustingSimulator;

    @BeforeAll
    static void start() {
        loops = EventLoops.create(1);
        client = new PooledHttpClient(loops, null, Duration.ofSeconds(3), 8, Duration.ofMinutes(2), 16);
        trustingSimulator = new PooledHttpClient(loops, SimTls.trustManager(), Duration.ofSeconds(3), 8, Duration.ofMinutes(2), 1024);
    }

    @AfterAll
    static void stop() {
        loops.close();
    }

    private static HttpHeaders headers() {
        return new DefaultHttpHeaders(false).add("Authorization", "SharedAccessSignature sr=x").add("iothub-app-k", "v");
    }

    private static ReceivedResponse post(PooledHttpClient c, Origin origin, String body, long timeoutNanos) throws Exception {
        try {
            return c.post(origin, "/devices/d%3A1/messages/events?api-version=2021-04-12", headers(),
                    body.getBytes(StandardCharsets.UTF_8), timeoutNanos).get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private static Origin local(int port) {
        return Origin.of("http", "127.0.0.1:" + port);
    }

    @Test
    void sendsTheRequestAsGivenWithHostAndLength() throws Exception {
        try (ScriptedHttpServer server = new ScriptedHttpServer(r -> Act.answer(204, ""))) {
            ReceivedResponse reply = post(client, local(server.port()), "{\"t\":21.5}", TEN_SECONDS);

            assertEquals(204, reply.status());
            assertTrue(reply.successful());
            String head = server.requests.get(0).head();
            assertTrue(head.startsWith("POST /devices/d%3A1/messages/events?api-version=2021-04-12 HTTP/1.1\r\n"), head);
            String lower = head.toLowerCase();
            assertTrue(lower.contains("\r\nhost: 127.0.0.1:" + server.port() + "\r\n"), head);
            assertTrue(lower.contains("\r\ncontent-length: 10\r\n"), head);
            assertTrue(head.contains("\r\nAuthorization: SharedAccessSignature sr=x\r\n"), head);
            assertTrue(head.contains("\r\niothub-app-k: v\r\n"), head);
            assertEquals("{\"t\":21.5}", server.requests.get(0).body());
        }
    }

    @Test
    void anErrorAnswerKeepsItsHeadersAndTheStartOfItsBody() throws Exception {
        String head = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 40\r\n\r\n";
        String body = "{\"errorCode\":429001,\"message\":\"throttled\"}".substring(0, 40);
        try (ScriptedHttpServer server = new ScriptedHttpServer(r -> new Act((head + body).getBytes(StandardCharsets.ISO_8859_1), false))) {
            ReceivedResponse reply = post(client, local(server.port()), "{}", TEN_SECONDS);

            assertEquals(429, reply.status());
            assertEquals("7", reply.headers().get("retry-after"));
            assertEquals(body.substring(0, 16), new String(reply.body(), StandardCharsets.UTF_8), "the client keeps 16 bytes");
        }
    }

    @Test
    void keepAliveConnectionsAreReused() throws Exception {
        try (ScriptedHttpServer server = new ScriptedHttpServer(r -> Act.answer(204, ""))) {
            for (int i = 0; i < 5; i++) {
                assertEquals(204, post(client, local(server.port()), "{}", TEN_SECONDS).status());
            }
            assertEquals(1, server.connections());
        }
    }

    @Test
    void aPooledConnectionDroppedBeforeAnyAnswerIsRetriedOnceOnAFreshOne() throws Exception {
        AtomicReference<Integer> seenOnFirst = new AtomicReference<>(0);
        try (ScriptedHttpServer server = new ScriptedHttpServer(r -> {
            if (r.connection() == 1 && seenOnFirst.getAndUpdate(n -> n + 1) == 1) {
                return new Act(null, true); // the second request on the first connection: dropped unanswered
            }
            return Act.answer(204, "");
        })) {
            post(client, local(server.port()), "{\"n\":1}", TEN_SECONDS);
            ReceivedResponse reply = post(client, local(server.port()), "{\"n\":2}", TEN_SECONDS);

            assertEquals(204, reply.status());
            assertEquals(2, server.connections());
            assertEquals(3, server.requests.size(), "the dropped request went out once more, on the new connection");
        }
    }

    @Test
    void aRequestIsNeverSentAgainOnceItsAnswerStarted() throws Exception {
        byte[] half = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".getBytes(StandardCharsets.ISO_8859_1);
        AtomicReference<Integer> seen = new AtomicReference<>(0);
        try (ScriptedHttpServer server = new ScriptedHttpServer(r ->
                seen.getAndUpdate(n -> n + 1) == 1 ? new Act(half, true) : Act.answer(204, ""))) {
            post(client, local(server.port()), "{\"n\":1}", TEN_SECONDS);

            assertThrows(IOException.class, () -> post(client, local(server.port()), "{\"n\":2}", TEN_SECONDS));
            assertEquals(2, server.requests.size());
        }
    }

    @Test
    void noAnswerWithinTheTimeoutIsATimeout() throws Exception {
        try (ScriptedHttpServer server = new ScriptedHttpServer(r -> Act.silence())) {
            Exception e = assertThrows(Exception.class,
                    () -> post(client, local(server.port()), "{}", TimeUnit.MILLISECONDS.toNanos(200)));
            assertInstanceOf(SocketTimeoutException.class, e);
        }
    }

    @Test
    void aRefusedConnectionIsAnIOException() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        assertThrows(IOException.class, () -> post(client, local(closed), "{}", TEN_SECONDS));
    }

    @Test
    void anAnswerMadeOnALoopIsWaitedForAndCompletedOnThatLoop() throws Exception {
        try (ScriptedHttpServer server = new ScriptedHttpServer(r -> Act.answer(204, ""))) {
            CompletableFuture<String> threads = new CompletableFuture<>();
            io.netty.channel.EventLoop loop = loops.group().next();
            loop.execute(() -> {
                String caller = Thread.currentThread().getName();
                client.post(local(server.port()), "/x", headers(), new byte[0], TEN_SECONDS)
                        .whenComplete((r, t) -> threads.complete(caller + " -> " + Thread.currentThread().getName()));
            });
            String[] both = threads.get(20, TimeUnit.SECONDS).split(" -> ");
            assertEquals(both[0], both[1]);
        }
    }

    @Test
    void tlsToATrustedCertificateNamingTheHost() throws Exception {
        HttpsServer https = https("127.0.0.1");
        try {
            ReceivedResponse reply = post(trustingSimulator, Origin.of("https", "127.0.0.1:" + https.getAddress().getPort()), "{}", TEN_SECONDS);
            assertEquals(204, reply.status());
        } finally {
            https.stop(0);
        }
    }

    @Test
    void tlsRefusesAnUntrustedCertificate() throws Exception {
        HttpsServer https = https("127.0.0.1");
        try {
            assertThrows(IOException.class,
                    () -> post(client, Origin.of("https", "127.0.0.1:" + https.getAddress().getPort()), "{}", TEN_SECONDS));
        } finally {
            https.stop(0);
        }
    }

    @Test
    void tlsRefusesATrustedCertificateForAnotherHost() throws Exception {
        HttpsServer https = https("127.0.0.2"); // loopback too, but not a name the simulator's certificate carries
        try {
            assertThrows(IOException.class,
                    () -> post(trustingSimulator, Origin.of("https", "127.0.0.2:" + https.getAddress().getPort()), "{}", TEN_SECONDS));
        } finally {
            https.stop(0);
        }
    }

    @Test
    void settingsThatCannotWorkAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PooledHttpClient(loops, null, Duration.ZERO, 8, Duration.ofMinutes(2), 16));
        assertTrue(e.getMessage().contains("connect timeout"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Origin.of("ftp", "h"));
        assertThrows(IllegalArgumentException.class, () -> Origin.of("https", "h:70000"));
    }

    private static HttpsServer https(String address) throws IOException {
        HttpsServer s = HttpsServer.create(new InetSocketAddress(address, 0), 10);
        s.setHttpsConfigurator(new HttpsConfigurator(SimTls.serverContext()));
        s.createContext("/", x -> {
            x.getRequestBody().readAllBytes();
            x.sendResponseHeaders(204, -1);
            x.close();
        });
        s.start();
        return s;
    }
}
