package dev.iotcbridge.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for what an HTTP client refuses to send: a body without a length, a length that
 * lies, a 10 MB body the server may stop reading, raw bytes in the request target.
 */
final class RawHttp {

    /** The answer; status 0 when the server closed the connection without one. */
    record Answer(int status, Map<String, String> headers, String body) {
    }

    private RawHttp() {
    }

    /**
     * Sends {@code head} (request line and headers, without the blank line) and then {@code body}, written by another
     * thread in 64 KB pieces so that a server answering early is read while the body is still going out.
     *
     * @param closeOutput half-close after the body (the client is done, whatever the length said)
     */
    static Answer exchange(int port, String head, byte[] body, boolean chunked, boolean closeOutput) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write((head + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Thread writer = new Thread(() -> {
                try {
                    int piece = 64 * 1024;
                    for (int at = 0; at < body.length; at += piece) {
                        int n = Math.min(piece, body.length - at);
                        if (chunked) {
                            out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        }
                        out.write(body, at, n);
                        if (chunked) {
                            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                        }
                    }
                    if (chunked) {
                        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    out.flush();
                    if (closeOutput) {
                        socket.shutdownOutput();
                    }
                } catch (IOException serverStoppedReading) {
                    // the server answered and closed before taking the whole body: what the test reads next
                }
            }, "raw-http-writer");
            writer.setDaemon(true);
            writer.start();
            Answer answer = read(socket.getInputStream());
            writer.join(15_000);
            return answer;
        }
    }

    private static Answer read(InputStream in) throws IOException {
        String statusLine;
        try {
            statusLine = line(in);
        } catch (SocketTimeoutException | java.net.SocketException e) {
            return new Answer(0, Map.of(), "");
        }
        if (statusLine == null || !statusLine.startsWith("HTTP/1.")) {
            return new Answer(0, Map.of(), statusLine == null ? "" : statusLine);
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        byte[] body;
        if (headers.containsKey("content-length")) {
            body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (int n = Integer.parseInt(line(in).trim(), 16); n > 0; n = Integer.parseInt(line(in).trim(), 16)) {
                all.write(in.readNBytes(n));
                line(in);
            }
            body = all.toByteArray();
        } else {
            body = new byte[0];
        }
        return new Answer(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        return dev.iotcbridge.testing.HttpLines.read(in);
    }
}
