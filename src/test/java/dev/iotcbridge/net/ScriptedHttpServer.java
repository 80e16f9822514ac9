package dev.iotcbridge.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A loopback HTTP/1.1 server that answers each request with what a script says, byte for byte, so a test can make
 * it drop a connection after an answer, cut an answer half-way, or never answer: what WireMock cannot do on demand.
 */
final class ScriptedHttpServer implements AutoCloseable {

    /** What to do with one request: the bytes to write (null: write nothing) and whether to close afterwards. */
    record Act(byte[] bytes, boolean close) {
        static Act answer(int status, String body) {
            String head = "HTTP/1.1 " + status + " X\r\nContent-Length: " + body.length() + "\r\n\r\n";
            return new Act((head + body).getBytes(StandardCharsets.ISO_8859_1), false);
        }

        Act thenClose() {
            return new Act(bytes, true);
        }

        static Act silence() {
            return new Act(null, false);
        }
    }

    record Received(int connection, String head, String body) {
    }

    private final ServerSocket socket;
    private final Function<Received, Act> script;
    private final AtomicInteger connections = new AtomicInteger();
    final List<Received> requests = new CopyOnWriteArrayList<>();

    ScriptedHttpServer(Function<Received, Act> script) throws IOException {
        this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.script = script;
        Thread acceptor = new Thread(this::accept, "scripted-http");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    int connections() {
        return connections.get();
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                int n = connections.incrementAndGet();
                Thread t = new Thread(() -> serve(s, n), "scripted-http-" + n);
                t.setDaemon(true);
                t.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket s, int connection) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                int length = 0;
                for (String line : head.split("\r\n")) {
                    if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
                Received r = new Received(connection, head, body);
                requests.add(r);
                Act act = script.apply(r);
                if (act.bytes() != null) {
                    out.write(act.bytes());
                    out.flush();
                }
                if (act.close()) {
                    return;
                }
            }
        } catch (IOException gone) {
            // the client closed: nothing left to serve
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        for (int b = in.read(); b >= 0; b = in.read()) {
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
