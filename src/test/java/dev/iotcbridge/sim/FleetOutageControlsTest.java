package dev.iotcbridge.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controls for rehearsing a fleet outage locally: a device the hubs forgot for good, a hub down for everyone
 * while DPS goes on assigning it, and the per-device registration counters that show a re-registration storm.
 */
class FleetOutageControlsTest {

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
    void aForgottenDeviceGets404OnEverySendEvenAfterDpsAssignsItAgain() {
        String id = "gone-for-good";
        SimHub hub = registered(id);
        assertEquals(204, send(hub, id, "before").statusCode());
        assertEquals(200, client.control("POST", "devices/" + id + "/forget").statusCode());
        assertTrue(SimClient.json(client.control("GET", "devices/" + id)).get("forgotten").asBoolean());
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> lost = send(hub, id, "lost-" + i);
            assertEquals(404, lost.statusCode());
            assertTrue(SimClient.json(lost).get("Message").asText().startsWith("ErrorCode:DeviceNotFound;"));
            SimHub again = registered(id);
            assertEquals(hub.id(), again.id(), "DPS goes on assigning the same hub");
            assertEquals(404, send(sim.hub(hub.id().other()), id, "other-" + i).statusCode(), "no hub knows it");
        }
        assertEquals(4, sim.counters().registrationsPerDevice().get(id));
        assertEquals(0, sim.counters().messagesPerMessageId().keySet().stream().filter(m -> !m.equals("before")).count());

        assertEquals(200, client.control("POST", "devices/" + id + "/remember").statusCode());
        assertEquals(204, send(hub, id, "after").statusCode());
    }

    @Test
    void aHubAnswering503ToEveryoneStaysAssignedByDpsUntilItIsRestored() {
        sim.dps().assignAllTo(HubId.A);
        List<String> fleet = List.of("f-1", "f-2", "f-3", "f-4");
        fleet.forEach(this::registered);
        assertEquals(200, client.control("POST", "hubs/a/outage?answer=503&retryAfter=7").statusCode());
        assertEquals("service_unavailable", SimClient.json(client.control("GET", "")).get("hubs").get("A").get("outage").asText());
        for (String id : fleet) {
            HttpResponse<String> down = send(sim.hubA(), id, "down-" + id);
            assertEquals(503, down.statusCode());
            assertEquals("7", down.headers().firstValue("Retry-After").orElseThrow());
            assertTrue(SimClient.json(down).get("Message").asText().startsWith("ErrorCode:ServiceUnavailable;"));
            assertEquals(HubId.A, registered(id).id(), "re-provisioning finds the same hub");
        }
        sim.dps().allocateNormally();
        assertEquals(HubId.A, registered("f-1").id(), "a known device keeps its hub");
        assertEquals(503, send(sim.hubA(), "f-1", "still-down").statusCode());
        assertEquals(0, sim.counters().messagesAccepted(), "nothing took effect");
        assertEquals(Map.of("f-1", 3, "f-2", 2, "f-3", 2, "f-4", 2), sim.counters().registrationsPerDevice());
        assertEquals(3, sim.counters().maxRegistrationsPerDevice());
        JsonNode counters = SimClient.json(client.control("GET", "counters"));
        assertEquals(3, counters.get("maxRegistrationsPerDevice").asInt());
        assertEquals(2, counters.get("registrationsPerDevice").get("f-2").asInt());

        assertEquals(200, client.control("POST", "hubs/a/restore").statusCode());
        for (String id : fleet) {
            assertEquals(204, send(sim.hubA(), id, "back-" + id).statusCode());
        }
        assertFalse(sim.hubA().outage().isPresent());
        assertEquals(4, sim.counters().messagesAccepted());
    }

    @Test
    void aHubRefusingConnectionsForEveryoneListensAgainWhenTheOutageEnds() {
        String id = "refused-1";
        SimHub hub = registered(id);
        sim.startOutage(hub.id(), HubOutage.REFUSE_CONNECTIONS, OptionalInt.empty());
        assertFalse(hub.acceptingConnections());
        assertThrows(UncheckedIOException.class, () -> send(hub, id, "during"));
        assertEquals(hub.id(), registered(id).id(), "DPS still assigns it");
        assertEquals(HubOutage.REFUSE_CONNECTIONS, hub.outage().orElseThrow());
        sim.clearFaults();
        assertTrue(hub.acceptingConnections(), "clearing the faults ends the outage");
        assertFalse(hub.outage().isPresent());
        assertEquals(204, send(hub, id, "after").statusCode());
        assertEquals(0, sim.messagesAcceptedWithId("during"));
    }

    @Test
    void outageControlsCheckTheirArguments() {
        assertEquals(400, client.control("POST", "hubs/a/outage").statusCode());
        assertEquals(400, client.control("POST", "hubs/a/outage?answer=500").statusCode());
        assertEquals(400, client.control("POST", "hubs/a/outage?answer=503&retryAfter=-1").statusCode());
        assertEquals(404, client.control("POST", "hubs/c/outage?answer=503").statusCode());
        assertEquals(404, client.control("POST", "devices/x/vanish").statusCode());
        assertFalse(sim.hubA().outage().isPresent());
    }

    private SimHub registered(String id) {
        HttpResponse<String> put = client.register(id, clock.instant());
        assertEquals(202, put.statusCode(), put.body());
        JsonNode op = SimClient.json(client.poll(id, SimClient.json(put).get("operationId").asText(), clock.instant()));
        assertEquals("assigned", op.get("status").asText(), op.toString());
        return sim.hubNamed(op.get("registrationState").get("assignedHub").asText()).orElseThrow();
    }

    private HttpResponse<String> send(SimHub hub, String id, String messageId) {
        return client.sendEvent(hub, id, messageId, clock.instant());
    }
}
