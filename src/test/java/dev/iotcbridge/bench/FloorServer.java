package dev.iotcbridge.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The floor under the local server: the JDK HttpServer configured as {@code LocalServer} is (cached thread pool,
 * no Nagle), answering each POST with a fixed 200 JSON body and doing nothing else. The benchmark's {@code floor} mode
 * drives it like the bridge to show what the HTTP server alone costs per request. {@code FloorServer PORT jetty} runs
 * the same with Jetty 11 (on the test class path through WireMock), for comparison.
 */
public final class FloorServer {

    public static void main(String[] args) throws Exception {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        int port = Integer.parseInt(args[0]);
        String kind = args.length > 1 ? args[1] : "jdk";
        if (kind.equals("jetty")) {
            JettyFloor.start(port);
            System.out.println("listening on " + port + " (Jetty)");
            return;
        }
        byte[] answer = "{\"forwarded\":1,\"skipped\":0,\"results\":[{\"deviceId\":\"bench-dev-000001\",\"status\":200}]}"
                .getBytes(StandardCharsets.UTF_8);
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        http.createContext("/", x -> {
            try (x) {
                x.getRequestBody().readAllBytes();
                x.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
                x.sendResponseHeaders(200, answer.length);
                try (OutputStream out = x.getResponseBody()) {
                    out.write(answer);
                }
            }
        });
        // "jdk-direct": the dispatcher thread runs the handler itself (no hand-off), to show what the hand-off costs
        http.setExecutor(kind.equals("jdk-direct") ? null : Executors.newCachedThreadPool());
        http.start();
        System.out.println("listening on " + port);
    }
}
