package dev.iotcbridge.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One client connection over a plain socket, for what an HTTP client library hides: several requests in one write,
 * the interim 100, the bytes of a malformed request, HTTP/1.0, and whether the server closed the connection.
 */
final class Wire implements AutoCloseable {

    /** One answer as read off the wire. */
    record Answer(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    Wire(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        // not a timing assertion: a broken server fails the test instead of hanging the build
        socket.setSoTimeout(60_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** A POST with a Content-Length, as HTTP/1.1 with the given extra header lines. */
    static String post(String target, String body, String... headers) {
        StringBuilder b = new StringBuilder("POST " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n");
        for (String h : headers) {
            b.append(h).append("\r\n");
        }
        return b.append("Content-Length: ").append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n\r\n").append(body).toString();
    }

    Wire send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return this;
    }

    /** The client is done sending; it still reads. */
    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** The next answer (an interim 100 included); fails at the end of the stream. */
    Answer read() throws IOException {
        String statusLine = line();
        if (statusLine == null) {
            throw new AssertionError("the server closed the connection instead of answering");
        }
        if (!statusLine.startsWith("HTTP/1.1 ")) {
            throw new AssertionError("not a status line: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(); h != null && !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        String length = headers.get("content-length");
        byte[] body = length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
        return new Answer(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    /** True when the server has closed its side: nothing more, and no answer pending. */
    boolean closedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketException reset) {
            return true;
        }
    }

    private String line() throws IOException {
        return dev.iotcbridge.testing.HttpLines.read(in);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
