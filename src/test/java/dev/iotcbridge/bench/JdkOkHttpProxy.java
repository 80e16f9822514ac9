package dev.iotcbridge.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** The bridge's shape before round 3, without its work: the JDK server's pooled threads, each blocked on an OkHttp call. */
final class JdkOkHttpProxy {
    static void start(int port, int upstreamPort) throws Exception {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        OkHttpClient ok = new OkHttpClient.Builder().connectionPool(new ConnectionPool(256, 5, TimeUnit.MINUTES)).build();
        MediaType json = MediaType.get("application/json");
        String url = "http://127.0.0.1:" + upstreamPort + "/devices/bench-dev-000001/messages/events?api-version=2020-03-13";
        byte[] answer = "{\"forwarded\":1,\"skipped\":0,\"results\":[{\"deviceId\":\"bench-dev-000001\",\"status\":200}]}"
                .getBytes(StandardCharsets.UTF_8);
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        http.createContext("/", x -> {
            try (x) {
                byte[] body = x.getRequestBody().readAllBytes();
                try (Response r = ok.newCall(new Request.Builder().url(url).header("Authorization", "SharedAccessSignature sr=x")
                        .post(RequestBody.create(body, json)).build()).execute()) {
                    r.body().bytes();
                }
                x.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
                x.sendResponseHeaders(200, answer.length);
                try (OutputStream out = x.getResponseBody()) {
                    out.write(answer);
                }
            }
        });
        http.setExecutor(Executors.newCachedThreadPool());
        http.start();
        System.out.println("listening on " + port);
    }
}
