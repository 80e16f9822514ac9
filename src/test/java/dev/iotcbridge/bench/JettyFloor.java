package dev.iotcbridge.bench;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.AbstractHandler;

/** {@link FloorServer}'s Jetty variant: Jetty 11 (already a test dependency through WireMock), same fixed answer. */
final class JettyFloor {

    private JettyFloor() {
    }

    static void start(int port) throws Exception {
        byte[] answer = "{\"forwarded\":1,\"skipped\":0,\"results\":[{\"deviceId\":\"bench-dev-000001\",\"status\":200}]}"
                .getBytes(StandardCharsets.UTF_8);
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setAcceptQueueSize(1024);
        server.addConnector(connector);
        server.setHandler(new AbstractHandler() {
            @Override
            public void handle(String target, Request base, HttpServletRequest request, HttpServletResponse response)
                    throws IOException {
                request.getInputStream().readAllBytes();
                response.setStatus(200);
                response.setContentType("application/json; charset=utf-8");
                response.setContentLength(answer.length);
                response.getOutputStream().write(answer);
                base.setHandled(true);
            }
        });
        server.start();
    }
}
