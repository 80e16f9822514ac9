package dev.iotcbridge.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each fault control does what it says, and the counters tell a test what reached the hub. */
class FaultControlsTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T10:00:00Z"));
    private Simulator sim;
    private SimClient client;

    @BeforeEach
    void start() throws Exception {
        sim = Simulator.start(SimulatorOptions.builder().clock(clock).retryAfterSeconds(0).build());
        client = new SimClient(sim);
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @Test
    void aHubAnswersTheGivenErrorForTheNextRequestsAndTheyTakeNoEffect() {
        String id = "dev-throttled";
        SimHub hub = registered(id);
        hub.faults().failNext(2, SimError.throttled(7));
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = send(hub, id, "m-1");
            assertEquals(429, r.statusCode());
            assertEquals("7", r.headers().firstValue("Retry-After").orElseThrow());
            assertTrue(SimClient.json(r).get("Message").asText().startsWith("ErrorCode:ThrottlingException;"));
        }
        assertEquals(204, send(hub, id, "m-1").statusCode());
        assertEquals(1, sim.messagesAcceptedWithId("m-1"));
        assertEquals(3, hub.requests());
        assertEquals(0, hub.faults().pendingRules());
    }

    @Test
    void everyHubErrorHasItsStatusCodeAndNumericBody() throws Exception {
        sim.close();
        sim = Simulator.start(SimulatorOptions.builder().clock(clock).retryAfterSeconds(0)
                .hubErrorStyle(HubErrorStyle.NUMERIC).build());
        client = new SimClient(sim);
        String id = "dev-errors";
        SimHub hub = registered(id);
        List<SimError> errors = List.of(SimError.deviceNotFound(), SimError.unauthorized(), SimError.deviceDisabled(),
                SimError.iotHubUnauthorized("DEVICE_DISABLED"), SimError.serverBusy(),
                SimError.throttled(), SimError.throttled(2), SimError.serverError(), SimError.serviceUnavailable(),
                SimError.quotaExceeded());
        for (SimError error : errors) {
            hub.faults().failNext(1, error);
            HttpResponse<String> r = send(hub, id, "x");
            assertEquals(error.status(), r.statusCode(), error.name());
            JsonNode body = SimClient.json(r);
            JsonNode inner = SimClient.JSON.readTree(body.get("Message").asText());
            assertEquals(error.code(), inner.get("errorCode").asInt(), error.name());
            assertTrue(inner.has("trackingId") && inner.has("message") && inner.has("timestampUtc"), inner.toString());
            assertEquals(error.name(), r.headers().firstValue("iothub-errorcode").orElseThrow());
            assertEquals(error.retryAfterSeconds().isPresent(), r.headers().firstValue("Retry-After").isPresent(), error.name());
        }
        assertEquals(204, send(hub, id, "x").statusCode());
        assertEquals(1, sim.messagesAcceptedFrom(id));
    }

    @Test
    void aFractionOfRequestsFailsAndEveryOtherOneIsAccepted() {
        String id = "dev-fraction";
        SimHub hub = registered(id);
        hub.faults().failFraction(0.25, SimError.serviceUnavailable());
        int failed = 0;
        int accepted = 0;
        for (int i = 0; i < 200; i++) {
            int status = send(hub, id, "f-" + i).statusCode();
            if (status == 503) {
                failed++;
            } else if (status == 204) {
                accepted++;
            }
        }
        assertEquals(200, failed + accepted);
        assertTrue(failed > 20 && failed < 80, "about a quarter fail: " + failed);
        assertEquals(accepted, sim.messagesAcceptedFrom(id));
        assertEquals(accepted, sim.counters().messagesPerMessageId().size());
        hub.faults().clear();
        assertEquals(204, send(hub, id, "after").statusCode());
    }

    @Test
    void aRefusingHubRefusesConnectionsUntilItListensAgainOnTheSamePort() {
        String id = "dev-refused";
        SimHub hub = registered(id);
        int port = hub.port();
        assertEquals(204, send(hub, id, "before").statusCode(), "opens a keep-alive connection");
        hub.refuseConnections();
        assertFalse(hub.acceptingConnections());
        UncheckedIOException refused = assertThrows(UncheckedIOException.class, () -> send(hub, id, "during"));
        assertTrue(causes(refused).stream().anyMatch(ConnectException.class::isInstance), refused.toString());
        hub.acceptConnections();
        assertEquals(port, hub.port());
        assertEquals(204, send(hub, id, "after").statusCode());
        assertEquals(0, sim.messagesAcceptedWithId("during"));
        assertEquals(2, sim.messagesAcceptedFrom(id));
    }

    @Test
    void aCutAnswerTakesEffectSoARetryIsADuplicateWithTheSameMessageId() {
        String id = "dev-cut";
        SimHub hub = registered(id);
        hub.faults().cutNext(1);
        assertThrows(UncheckedIOException.class, () -> send(hub, id, "dup-1"));
        assertEquals(1, sim.messagesAcceptedWithId("dup-1"), "the hub accepted it before the connection dropped");
        assertEquals(204, send(hub, id, "dup-1").statusCode());
        assertEquals(Map.of("dup-1", 2), sim.counters().duplicateMessageIds());
    }

    @Test
    void dpsCutsItsAnswerHalfWayAfterTheRegistrationTookEffect() {
        sim.dps().faults().cutNext(1);
        UncheckedIOException cut = assertThrows(UncheckedIOException.class, () -> client.register("dev-dps-cut", clock.instant()));
        assertTrue(cut.getCause() instanceof IOException);
        assertEquals(1, sim.dps().registrationsReceived());
        assertTrue(sim.device("dev-dps-cut").orElseThrow().hub().isPresent(), "the device was assigned");
        assertEquals(202, client.register("dev-dps-cut", clock.instant()).statusCode());
    }

    @Test
    void dpsThrottlesAndFailsWithItsOwnErrorBody() {
        sim.dps().faults().failNext(1, SimError.throttled(3)).failNext(1, SimError.serverError());
        HttpResponse<String> throttled = client.register("dev-dps", clock.instant());
        assertEquals(429, throttled.statusCode());
        assertEquals("3", throttled.headers().firstValue("Retry-After").orElseThrow());
        assertEquals(429001, SimClient.json(throttled).get("errorCode").asInt());
        HttpResponse<String> failed = client.register("dev-dps", clock.instant());
        assertEquals(500, failed.statusCode());
        assertEquals(500001, SimClient.json(failed).get("errorCode").asInt());
        assertFalse(sim.device("dev-dps").isPresent(), "an injected error takes no effect");
        assertEquals(202, client.register("dev-dps", clock.instant()).statusCode());
        assertEquals(3, sim.dps().registrationsReceived());
        assertEquals(200, client.control("GET", "devices").statusCode(), "the control API is exempt from faults");
    }

    @Test
    void dpsAssignsADifferentHubFromNowOn() {
        String id = "dev-moved";
        SimHub first = registered(id);
        HubId other = first.id().other();
        sim.dps().assignAllTo(other);
        assertEquals(204, send(first, id, "still-there").statusCode(), "nothing moves before the device registers again");
        JsonNode again = registerNow(id);
        assertEquals(sim.hub(other).host(), again.get("registrationState").get("assignedHub").asText());
        assertEquals("deviceDataMigrated", again.get("registrationState").get("substatus").asText());
        assertEquals(404, send(first, id, "old").statusCode());
        assertEquals(204, send(sim.hub(other), id, "new").statusCode());
        for (String newcomer : List.of("n-1", "n-2", "n-3", "n-4")) {
            assertEquals(sim.hub(other).host(), registerNow(newcomer).get("registrationState").get("assignedHub").asText());
        }
        sim.dps().allocateNormally();
        assertEquals(sim.hub(other).host(), registerNow(id).get("registrationState").get("assignedHub").asText(),
                "a known device keeps its hub");
    }

    @Test
    void latencyDelaysTheAnswerAfterTheRequestTookEffect() {
        String id = "dev-slow";
        SimHub hub = registered(id);
        hub.faults().latency(Duration.ofMillis(40));
        long start = System.nanoTime();
        assertEquals(204, send(hub, id, "slow-1").statusCode());
        assertTrue(System.nanoTime() - start >= 40_000_000L, "answered no earlier than the latency");
        sim.dps().faults().latency(Duration.ofMillis(40));
        start = System.nanoTime();
        assertEquals(202, client.register("dev-slow-2", clock.instant()).statusCode());
        assertTrue(System.nanoTime() - start >= 40_000_000L);
    }

    @Test
    void aSlowHubServesOneThousandTwentyFourConcurrentRequests() {
        String id = "dev-busy";
        SimHub hub = registered(id);
        hub.faults().latency(Duration.ofMillis(500));
        String token = client.hubToken(hub.host(), id, clock.instant());
        List<CompletableFuture<HttpResponse<Void>>> calls = new ArrayList<>();
        for (int i = 0; i < 1024; i++) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + hub.host() + "/devices/" + id
                            + "/messages/events?api-version=2021-04-12"))
                    .header("Authorization", token).header("iothub-messageid", "c-" + i)
                    .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString("{\"i\":" + i + "}")).build();
            calls.add(client.http.sendAsync(request, HttpResponse.BodyHandlers.discarding()));
        }
        for (CompletableFuture<HttpResponse<Void>> call : calls) {
            assertEquals(204, call.join().statusCode());
        }
        assertEquals(1024, sim.messagesAcceptedFrom(id));
        assertEquals(1024, sim.counters().messagesPerMessageId().size());
        assertTrue(hub.maxInFlight() >= 32, "requests waited concurrently, not one after another: " + hub.maxInFlight());
    }

    @Test
    void registrationsInFlightCountFromThePutUntilTheOutcomeIsToldOrAbandoned() {
        String[] ids = {"r-1", "r-2", "r-3"};
        List<String> operations = new ArrayList<>();
        for (String id : ids) {
            operations.add(SimClient.json(client.register(id, clock.instant())).get("operationId").asText());
        }
        assertEquals(3, sim.dps().registrationsInFlight());
        assertEquals(200, client.poll("r-1", operations.get(0), clock.instant()).statusCode());
        assertEquals(2, sim.dps().registrationsInFlight());
        assertEquals(3, sim.dps().maxRegistrationsInFlight());
        clock.advance(Duration.ofSeconds(61));
        assertEquals(0, sim.dps().registrationsInFlight(), "operations nobody polled for a minute are abandoned");
        assertEquals(404, client.poll("r-2", operations.get(1), clock.instant()).statusCode());
        SimCounters counters = sim.counters();
        assertEquals(3, counters.registrationsReceived());
        assertEquals(3, counters.maxRegistrationsInFlight());
        sim.resetCounters();
        assertEquals(0, sim.counters().registrationsReceived());
        assertEquals(0, sim.counters().maxRegistrationsInFlight());
    }

    @Test
    void faultsCanBeSetOverTheControlApi() {
        String id = "dev-http-faults";
        SimHub hub = registered(id);
        String name = hub.id().name().toLowerCase();
        assertEquals(200, client.control("POST", "hubs/" + name + "/faults?code=503001&count=1").statusCode());
        assertEquals(503, send(hub, id, "h-1").statusCode());
        assertEquals(200, client.control("POST", "hubs/" + name + "/faults?code=429001&retryAfter=4&count=1").statusCode());
        assertEquals("4", send(hub, id, "h-2").headers().firstValue("Retry-After").orElseThrow());
        assertEquals(200, client.control("POST", "hubs/" + name + "/refuse").statusCode());
        assertThrows(UncheckedIOException.class, () -> send(hub, id, "h-3"));
        assertEquals(200, client.control("POST", "faults/clear").statusCode());
        assertEquals(204, send(hub, id, "h-4").statusCode());
        assertEquals(400, client.control("POST", "hubs/" + name + "/faults?code=123456&count=1").statusCode());
        assertEquals(400, client.control("POST", "hubs/" + name + "/faults?code=503001").statusCode());
        assertEquals(404, client.control("POST", "hubs/c/refuse").statusCode());
        JsonNode counters = SimClient.json(client.control("GET", "counters"));
        assertEquals(1, counters.get("messagesPerDevice").get(id).asInt());
    }

    private SimHub registered(String id) {
        JsonNode op = registerNow(id);
        assertEquals("assigned", op.get("status").asText(), op.toString());
        return sim.hubNamed(op.get("registrationState").get("assignedHub").asText()).orElseThrow();
    }

    private JsonNode registerNow(String id) {
        HttpResponse<String> put = client.register(id, clock.instant());
        assertEquals(202, put.statusCode(), put.body());
        assertEquals("0", put.headers().firstValue("Retry-After").orElseThrow());
        return SimClient.json(client.poll(id, SimClient.json(put).get("operationId").asText(), clock.instant()));
    }

    private HttpResponse<String> send(SimHub hub, String id, String messageId) {
        return client.sendEvent(hub, id, messageId, clock.instant());
    }

    private static List<Throwable> causes(Throwable t) {
        List<Throwable> all = new ArrayList<>();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.add(c);
        }
        return all;
    }
}
