package dev.iotcbridge.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/** A plain java.net.http client for the simulator's DPS and hubs, with tokens the test computes itself. */
final class SimClient {

    static final ObjectMapper JSON = new ObjectMapper();

    final Simulator sim;
    final HttpClient http;
    private final String groupKey;

    SimClient(Simulator sim) {
        this.sim = sim;
        this.groupKey = sim.groupKey().reveal();
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5));
        if (sim.https()) {
            b.sslContext(SimTls.clientContext());
        }
        this.http = b.build();
    }

    String dpsToken(String id, Instant now) {
        return Tokens.dpsToken(sim.idScope(), id, groupKey, now);
    }

    String hubToken(String hubHost, String id, Instant now) {
        return Tokens.hubToken(hubHost, id, groupKey, now);
    }

    HttpResponse<String> register(String id, String body, String token) {
        return send(HttpRequest.newBuilder(dpsUri(id + "/register?api-version=2021-06-01"))
                .header("Authorization", token).header("Content-Type", "application/json; charset=utf-8")
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    HttpResponse<String> register(String id, Instant now) {
        return register(id, "{\"registrationId\":\"" + id + "\"}", dpsToken(id, now));
    }

    HttpResponse<String> poll(String id, String operationId, Instant now) {
        return send(HttpRequest.newBuilder(dpsUri(id + "/operations/" + operationId + "?api-version=2021-06-01"))
                .header("Authorization", dpsToken(id, now)).GET());
    }

    HttpResponse<String> sendEvent(String hubHost, String id, String body, String token, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.scheme() + "://" + hubHost + "/devices/" + id
                        + "/messages/events?api-version=2021-04-12"))
                .header("Content-Type", "application/json; charset=utf-8").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", token);
        }
        headers.forEach(b::header);
        return send(b);
    }

    HttpResponse<String> sendEvent(String hubHost, String id, String body, Instant now) {
        return sendEvent(hubHost, id, body, hubToken(hubHost, id, now), Map.of());
    }

    /** One small telemetry message to the device's hub, with a fresh token and the given message id. */
    HttpResponse<String> sendEvent(SimHub hub, String id, String messageId, Instant now) {
        return sendEvent(hub.host(), id, "{\"v\":1}", hubToken(hub.host(), id, now), Map.of("iothub-messageid", messageId));
    }

    HttpResponse<String> control(String method, String pathAndQuery) {
        return send(HttpRequest.newBuilder(URI.create(sim.scheme() + "://" + sim.dpsHost() + "/sim/" + pathAndQuery))
                .method(method, HttpRequest.BodyPublishers.noBody()));
    }

    URI dpsUri(String rest) {
        return URI.create(sim.scheme() + "://" + sim.dpsHost() + "/" + sim.idScope() + "/registrations/" + rest);
    }

    HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + response.body(), e);
        }
    }
}
