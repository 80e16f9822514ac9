package dev.iotcbridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.config.Secret;
import dev.iotcbridge.iot.GroupKey;
import dev.iotcbridge.iot.SasToken;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

/**
 * DPS's own answer time, measured directly: the registration a device makes (PUT register, then GET the operation
 * until {@code assigned}, as soon as DPS's Retry-After allows), with no bridge in between. The bridge's first message
 * of a new device is compared against this.
 */
final class DpsTimer {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String dpsHost;
    private final String idScope;
    private final GroupKey groupKey;

    DpsTimer(SimProcess sim) {
        this.dpsHost = sim.dpsHost();
        this.idScope = sim.idScope();
        this.groupKey = GroupKey.of(Secret.of(sim.groupKey()));
    }

    /** Nanoseconds from the PUT to the answer that says {@code assigned}. */
    long register(String registrationId) throws IOException, InterruptedException {
        String token = SasToken.forDps(groupKey.deviceKey(registrationId), idScope, registrationId,
                Instant.now().getEpochSecond() + 3600);
        String base = "http://" + dpsHost + "/" + idScope + "/registrations/" + registrationId;
        long start = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/register?api-version=2021-10-01"))
                .header("Authorization", token).header("Content-Type", "application/json; charset=utf-8")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"registrationId\":\"" + registrationId
                        + "\",\"payload\":{\"modelId\":\"" + IotcRequests.MODEL_ID + "\"}}"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(r.body());
        for (int polls = 0; polls < 100 && !body.path("status").asText().equals("assigned"); polls++) {
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException("DPS answered " + r.statusCode() + ": " + r.body());
            }
            long wait = r.headers().firstValueAsLong("Retry-After").orElse(0);
            if (wait > 0) {
                Thread.sleep(wait * 1000);
            }
            r = http.send(HttpRequest.newBuilder(URI.create(base + "/operations/" + body.path("operationId").asText()
                            + "?api-version=2021-10-01")).header("Authorization", token).GET()
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            body = JSON.readTree(r.body());
        }
        long took = System.nanoTime() - start;
        if (!body.path("status").asText().equals("assigned")) {
            throw new IllegalStateException("DPS did not assign " + registrationId + ": " + r.body());
        }
        return took;
    }
}
