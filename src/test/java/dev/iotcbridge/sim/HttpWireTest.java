package dev.iotcbridge.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The simulator's HTTP/1.1 as a client sees it on the socket: keep-alive, pipelining, limits, cut answers. */
class HttpWireTest {

    /** Tokens are signed and checked on this clock: a stalled machine cannot make one expire mid-test. */
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T10:00:00Z"));
    private Simulator sim;
    private SimClient client;

    @BeforeEach
    void start() throws Exception {
        sim = Simulator.start(SimulatorOptions.builder().clock(clock).assignOnRegister(true).build());
        client = new SimClient(sim);
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnectionEvenWhenDelayed() throws Exception {
        SimHub hub = registered("wire-pipelined");
        hub.faults().latency(Duration.ofMillis(30));
        try (Socket s = connect(hub.port())) {
            String good = hubPost(hub, "wire-pipelined", token(hub, "wire-pipelined"), "m-1", "{\"n\":1}");
            String badToken = hubPost(hub, "wire-pipelined", "SharedAccessSignature sr=x&sig=y&se=1", "m-2", "{\"n\":2}");
            String again = hubPost(hub, "wire-pipelined", token(hub, "wire-pipelined"), "m-3", "{\"n\":3}");
            write(s, good + badToken + again); // all three before any answer
            InputStream in = s.getInputStream();
            assertEquals(204, read(in).status);
            Answer refused = read(in);
            assertEquals(401, refused.status);
            assertTrue(refused.body.startsWith("{\"Message\":\"ErrorCode:IotHubUnauthorizedAccess;"), refused.body);
            assertEquals(204, read(in).status);
        }
        assertEquals(1, sim.messagesAcceptedWithId("m-1"));
        assertEquals(0, sim.messagesAcceptedWithId("m-2"));
        assertEquals(1, sim.messagesAcceptedWithId("m-3"));
    }

    @Test
    void aBodyOverTheLimitIsReadAndRefusedAndTheConnectionServesTheNextRequest() throws Exception {
        SimHub hub = registered("wire-large");
        try (Socket s = connect(hub.port())) {
            String large = "{\"x\":\"" + "a".repeat(SimHub.MAX_MESSAGE_BYTES) + "\"}";
            write(s, hubPost(hub, "wire-large", token(hub, "wire-large"), "too-large", large));
            Answer refused = read(s.getInputStream());
            assertEquals(413, refused.status);
            assertEquals("MessageTooLarge", refused.headers.get("iothub-errorcode"));
            write(s, hubPost(hub, "wire-large", token(hub, "wire-large"), "small", "{}"));
            assertEquals(204, read(s.getInputStream()).status);
        }
        assertEquals(0, sim.messagesAcceptedWithId("too-large"));
        assertEquals(1, sim.messagesAcceptedWithId("small"));
    }

    @Test
    void aCutAnswerAnnouncesItsWholeLengthSendsHalfAndCloses() throws Exception {
        sim.dps().faults().cutNext(1);
        try (Socket s = connect(sim.dps().port())) {
            String body = "{\"registrationId\":\"wire-cut\"}";
            write(s, "PUT /" + sim.idScope() + "/registrations/wire-cut/register?api-version=2021-06-01 HTTP/1.1\r\n"
                    + "Host: " + sim.dpsHost() + "\r\nAuthorization: " + client.dpsToken("wire-cut", clock.instant())
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            InputStream in = s.getInputStream();
            Map<String, String> headers = new LinkedHashMap<>();
            assertEquals(200, readHead(in, headers));
            int announced = Integer.parseInt(headers.get("content-length"));
            byte[] rest = in.readAllBytes(); // up to the close
            assertEquals(announced / 2, rest.length, "half the body, then the connection closes");
        }
        assertTrue(sim.device("wire-cut").orElseThrow().hub().isPresent(), "the registration took effect");
    }

    @Test
    void aCutAnswerWithNoBodyClosesBeforeTheStatusLine() throws Exception {
        SimHub hub = registered("wire-drop");
        hub.faults().cutNext(1);
        try (Socket s = connect(hub.port())) {
            write(s, hubPost(hub, "wire-drop", token(hub, "wire-drop"), "dropped", "{}"));
            assertEquals(0, s.getInputStream().readAllBytes().length);
        }
        assertEquals(1, sim.messagesAcceptedWithId("dropped"), "the message took effect");
    }

    @Test
    void connectionCloseAndHttp10AreAnsweredThenClosed() throws Exception {
        try (Socket s = connect(sim.dps().port())) {
            write(s, "GET /sim HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            Answer answer = read(s.getInputStream());
            assertEquals(200, answer.status);
            assertEquals("close", answer.headers.get("connection"));
            assertEquals(-1, s.getInputStream().read());
        }
        try (Socket s = connect(sim.dps().port())) {
            write(s, "GET /sim/counters HTTP/1.0\r\n\r\n");
            assertEquals(200, read(s.getInputStream()).status);
            assertEquals(-1, s.getInputStream().read());
        }
    }

    @Test
    void anUnparsableRequestIsAnswered400AndClosed() throws Exception {
        try (Socket s = connect(sim.hubA().port())) {
            write(s, "POST /devices/x/messages/events HTTP/1.1\r\nContent-Length: nope\r\n\r\n");
            assertEquals(400, read(s.getInputStream()).status);
            assertEquals(-1, s.getInputStream().read());
        }
    }

    private SimHub registered(String id) {
        var put = client.register(id, clock.instant());
        assertEquals(200, put.statusCode(), put.body());
        return sim.hubNamed(SimClient.json(put).get("registrationState").get("assignedHub").asText()).orElseThrow();
    }

    private String token(SimHub hub, String id) {
        return client.hubToken(hub.host(), id, clock.instant());
    }

    private static String hubPost(SimHub hub, String id, String token, String messageId, String body) {
        return "POST /devices/" + id + "/messages/events?api-version=2021-04-12 HTTP/1.1\r\nHost: " + hub.host()
                + "\r\nAuthorization: " + token + "\r\niothub-messageid: " + messageId
                + "\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(10_000);
        return s;
    }

    private static void write(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private record Answer(int status, Map<String, String> headers, String body) {
    }

    private static Answer read(InputStream in) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        int status = readHead(in, headers);
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        return new Answer(status, headers, new String(in.readNBytes(length), StandardCharsets.UTF_8));
    }

    /** The status; fills {@code headers} by lower-cased name. */
    private static int readHead(InputStream in, Map<String, String> headers) throws IOException {
        String status = line(in);
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        return Integer.parseInt(status.split(" ")[1]);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed in a header: " + b);
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }
}
