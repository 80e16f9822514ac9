package dev.iotcbridge.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotcbridge.config.Secret;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The simulator's DPS and hubs answer as the real services do, for a client that signs its own tokens. */
class SimulatorTest {

    private static final String MODEL = "dtmi:com:example:Thermostat;1";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T10:00:00Z"));
    private final List<String> printed = Collections.synchronizedList(new ArrayList<>());
    private Simulator sim;
    private SimClient client;

    @BeforeEach
    void start() throws Exception {
        sim = Simulator.start(SimulatorOptions.builder().clock(clock).telemetryPrinter(printed::add).build());
        client = new SimClient(sim);
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @Test
    void registersThroughAssigningAndPollingWithTheRealShapes() {
        String id = "sensor-001";
        HttpResponse<String> put = client.register(id, "{\"registrationId\":\"sensor-001\",\"payload\":{\"modelId\":\""
                + MODEL + "\"}}", client.dpsToken(id, clock.instant()));
        assertEquals(202, put.statusCode(), put.body());
        assertEquals("3", put.headers().firstValue("Retry-After").orElseThrow(), "real DPS's Retry-After by default");
        JsonNode accepted = SimClient.json(put);
        assertEquals(List.of("operationId", "status"), fieldNames(accepted));
        assertEquals("assigning", accepted.get("status").asText());
        String operationId = accepted.get("operationId").asText();
        assertTrue(operationId.matches("5\\.[0-9a-f]{16}\\.[0-9a-f-]{36}"), operationId);

        HttpResponse<String> early = client.poll(id, operationId, clock.instant());
        assertEquals(202, early.statusCode(), "still assigning before Retry-After has passed");
        assertEquals("assigning", SimClient.json(early).get("status").asText());
        clock.advance(Duration.ofMillis(2_999));
        assertEquals(202, client.poll(id, operationId, clock.instant()).statusCode(), "not before the 3 s are over");

        clock.advance(Duration.ofMillis(1));
        HttpResponse<String> done = client.poll(id, operationId, clock.instant());
        assertEquals(200, done.statusCode(), done.body());
        JsonNode op = SimClient.json(done);
        assertEquals(List.of("operationId", "status", "registrationState"), fieldNames(op));
        assertEquals(operationId, op.get("operationId").asText());
        assertEquals("assigned", op.get("status").asText());
        JsonNode state = op.get("registrationState");
        assertEquals(List.of("registrationId", "createdDateTimeUtc", "assignedHub", "deviceId", "status", "substatus",
                "lastUpdatedDateTimeUtc", "etag", "payload"), fieldNames(state));
        assertEquals(id, state.get("registrationId").asText());
        assertEquals(id, state.get("deviceId").asText());
        assertEquals(sim.hub(sim.initialHubFor(id)).host(), state.get("assignedHub").asText());
        assertEquals("initialAssignment", state.get("substatus").asText());
        assertEquals("2026-11-27T10:00:00.0000000Z", state.get("createdDateTimeUtc").asText());
        assertEquals("2026-11-27T10:00:00.0000000Z", state.get("lastUpdatedDateTimeUtc").asText());
        assertTrue(state.get("etag").asText().startsWith("\""), "etags are quoted");
        assertEquals(MODEL, state.get("payload").get("modelId").asText());
        assertEquals(MODEL, sim.device(id).orElseThrow().modelId().orElseThrow());

        assertEquals(0, sim.dps().registrationsInFlight(), "the outcome was told");
        assertEquals(1, sim.dps().maxRegistrationsInFlight());
        assertEquals(1, sim.dps().registrationsReceived());
    }

    @Test
    void statusLookupAnswersTheBareResultForAKnownDeviceOnly() {
        clock.advance(Duration.ZERO);
        sim.close();
        sim = startAssigningAtOnce();
        client = new SimClient(sim);
        HttpResponse<String> put = client.register("lookup-1", clock.instant());
        assertEquals(200, put.statusCode(), "assignOnRegister answers the PUT with the outcome");
        assertEquals("assigned", SimClient.json(put).get("status").asText());
        assertEquals(0, sim.dps().registrationsInFlight());

        HttpResponse<String> known = client.send(java.net.http.HttpRequest.newBuilder(
                        client.dpsUri("lookup-1?api-version=2021-10-01"))
                .header("Authorization", client.dpsToken("lookup-1", clock.instant()))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"registrationId\":\"lookup-1\"}")));
        assertEquals(200, known.statusCode(), known.body());
        JsonNode bare = SimClient.json(known);
        assertFalse(bare.has("operationId"));
        assertEquals("assigned", bare.get("status").asText());
        assertEquals(sim.hub(sim.initialHubFor("lookup-1")).host(), bare.get("assignedHub").asText());

        HttpResponse<String> unknown = client.send(java.net.http.HttpRequest.newBuilder(
                        client.dpsUri("lookup-2?api-version=2021-10-01"))
                .header("Authorization", client.dpsToken("lookup-2", clock.instant()))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"registrationId\":\"lookup-2\"}")));
        assertEquals(404, unknown.statusCode());
        assertEquals(404000, SimClient.json(unknown).get("errorCode").asInt());
    }

    @Test
    void sendsTelemetryToTheAssignedHubAndRecordsItWithItsProperties() {
        clock.advance(Duration.ZERO);
        String id = "a84041000181c150";
        String hub = register(id);
        HttpResponse<String> sent = client.sendEvent(hub, id, "{\"temperature\":21.5}", client.hubToken(hub, id, clock.instant()),
                Map.of("iothub-contenttype", "application/json", "iothub-contentencoding", "utf-8",
                        "iothub-messageid", "ttn-1", "dt-subject", "environment",
                        "iothub-app-iothub-creation-time-utc", "2026-11-27T09:59:59.123Z", "iothub-app-source", "ttn"));
        assertEquals(204, sent.statusCode(), sent.body());
        assertEquals("", sent.body());

        SimMessage message = sim.messages().get(0);
        assertEquals(id, message.deviceId());
        assertEquals(hub, message.hubHost());
        assertEquals("{\"temperature\":21.5}", message.body());
        assertEquals("ttn-1", message.messageId().orElseThrow());
        assertEquals("environment", message.component().orElseThrow());
        assertEquals("application/json", message.contentType().orElseThrow());
        assertEquals("utf-8", message.contentEncoding().orElseThrow());
        assertEquals("2026-11-27T09:59:59.123Z", message.creationTimeUtc().orElseThrow());
        assertEquals("ttn", message.properties().get("source"));
        assertEquals(clock.instant(), message.receivedAt());
        assertEquals(List.of("telemetry from a84041000181c150 via hub-" + sim.initialHubFor(id).name().toLowerCase()
                + " (" + hub + "): {\"temperature\":21.5}"), printed);
        assertEquals(1, sim.messagesAcceptedFrom(id));
        assertEquals(1, sim.messagesAcceptedWithId("ttn-1"));
        assertEquals(1, sim.messagesAccepted(sim.initialHubFor(id)));

        DeviceView view = sim.device(id).orElseThrow();
        assertEquals(1, view.messageCount());
        assertEquals("{\"temperature\":21.5}", view.lastTelemetry().orElseThrow());
        assertEquals(clock.instant(), view.lastTelemetryTime().orElseThrow());
    }

    @Test
    void anIdWithAColonTravelsUrlEncodedInPathAndToken() {
        String id = "plant:7.a_b-";
        String hub = register(id);
        HttpResponse<String> sent = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + hub
                        + "/devices/plant%3A7.a_b-/messages/events?api-version=2021-04-12"))
                .header("Authorization", client.hubToken(hub, id, clock.instant()))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"moisture\":0.3}")));
        assertEquals(204, sent.statusCode(), sent.body());
        assertEquals(1, sim.messagesAcceptedFrom(id));
    }

    @Test
    void refusesAWrongSignatureOrAnExpiredTokenWith401AtDpsAndHub() {
        String id = "sensor-002";
        String otherKey = Tokens.deviceKey(sim.groupKey().reveal(), "someone-else");
        String forged = Tokens.sas(sim.idScope() + "/registrations/" + id, otherKey, clock.instant().getEpochSecond() + 60,
                "registration");
        HttpResponse<String> wrong = client.register(id, "{\"registrationId\":\"" + id + "\"}", forged);
        assertEquals(401, wrong.statusCode());
        JsonNode error = SimClient.json(wrong);
        assertEquals(List.of("errorCode", "trackingId", "message", "timestampUtc"), fieldNames(error));
        assertEquals(401002, error.get("errorCode").asInt());
        assertEquals("401002", wrong.headers().firstValue("x-ms-error-code").orElseThrow());
        assertFalse(wrong.body().contains(forged.substring(forged.indexOf("sig=") + 4, forged.indexOf("&se="))),
                "no signature is echoed");

        String expired = Tokens.sas(sim.idScope() + "/registrations/" + id, Tokens.deviceKey(sim.groupKey().reveal(), id),
                clock.instant().getEpochSecond(), "registration");
        HttpResponse<String> late = client.register(id, "{\"registrationId\":\"" + id + "\"}", expired);
        assertEquals(401, late.statusCode());
        assertEquals(401002, SimClient.json(late).get("errorCode").asInt());
        assertTrue(SimClient.json(late).get("message").asText().contains("expired"));
        assertFalse(sim.device(id).isPresent(), "a refused registration leaves no device");

        String hub = register(id);
        HttpResponse<String> badHubToken = client.sendEvent(hub, id, "{}", Tokens.sas(hub + "/devices/" + id, otherKey,
                clock.instant().getEpochSecond() + 60, null), Map.of());
        assertEquals(401, badHubToken.statusCode());
        assertTrue(SimClient.json(badHubToken).get("Message").asText().startsWith("ErrorCode:IotHubUnauthorizedAccess;"));
        HttpResponse<String> expiredHub = client.sendEvent(hub, id, "{}", Tokens.sas(hub + "/devices/" + id,
                Tokens.deviceKey(sim.groupKey().reveal(), id), clock.instant().getEpochSecond() - 1, null), Map.of());
        assertEquals(401, expiredHub.statusCode());
        HttpResponse<String> none = client.sendEvent(hub, id, "{}", null, Map.of());
        assertEquals(401, none.statusCode());
        assertEquals(0, sim.messagesAcceptedFrom(id));
    }

    @Test
    void aHubDoesNotKnowADeviceAssignedToTheOtherHub() {
        String id = "sensor-003";
        String assigned = register(id);
        String other = sim.hub(sim.initialHubFor(id).other()).host();
        HttpResponse<String> wrongHub = client.sendEvent(other, id, "{\"t\":1}", clock.instant());
        assertEquals(404, wrongHub.statusCode());
        JsonNode error = SimClient.json(wrongHub);
        assertEquals(List.of("Message", "ExceptionMessage"), fieldNames(error));
        assertTrue(error.get("Message").asText().startsWith("ErrorCode:DeviceNotFound;"), error.toString());
        assertTrue(error.get("ExceptionMessage").asText().startsWith("Tracking ID:"), error.toString());
        assertEquals("DeviceNotFound", wrongHub.headers().firstValue("iothub-errorcode").orElseThrow());
        assertEquals(204, client.sendEvent(assigned, id, "{\"t\":1}", clock.instant()).statusCode());
        assertEquals(404, client.sendEvent(assigned, "never-registered", "{}", clock.instant()).statusCode());
        assertEquals(404, client.sendEvent(assigned, id.toUpperCase(), "{}", clock.instant()).statusCode(),
                "hub device ids are case-sensitive");
    }

    @Test
    void failoverDrillMovesTheDeviceAndFailsBackAfterItsMinutes() {
        String id = "sensor-004";
        String first = register(id);
        HubId home = sim.initialHubFor(id);

        HttpResponse<String> moved = client.control("POST", "devices/" + id + "/failover?minutes=5");
        assertEquals(200, moved.statusCode(), moved.body());
        assertEquals(home.other().name(), SimClient.json(moved).get("hub").asText());
        assertEquals("2026-11-27T10:05:03Z", SimClient.json(moved).get("failbackAt").asText(), "5 min after the 3 s registration");

        HttpResponse<String> old = client.sendEvent(first, id, "{\"t\":1}", clock.instant());
        assertEquals(404, old.statusCode(), "the old hub no longer knows the device");

        JsonNode again = registerAndPoll(id);
        assertEquals("assigned", again.get("status").asText());
        String second = again.get("registrationState").get("assignedHub").asText();
        assertEquals(sim.hub(home.other()).host(), second);
        assertEquals("deviceDataMigrated", again.get("registrationState").get("substatus").asText());
        assertEquals(204, client.sendEvent(second, id, "{\"t\":2}", clock.instant()).statusCode());

        clock.advance(Duration.ofMinutes(5));
        assertEquals(404, client.sendEvent(second, id, "{\"t\":3}", clock.instant()).statusCode(), "failed back");
        assertEquals(204, client.sendEvent(first, id, "{\"t\":3}", clock.instant()).statusCode());
        assertEquals(home, sim.device(id).orElseThrow().hub().orElseThrow());

        assertThrows(NoSuchElementException.class, () -> sim.failover("nobody", null));
        assertEquals(404, client.control("POST", "devices/nobody/failover").statusCode());
        assertEquals(400, client.control("POST", "devices/" + id + "/failover?minutes=0").statusCode());
    }

    @Test
    void aKnownDeviceKeepsItsHubAndABlockedOneIsRefusedWith401And400209() {
        String id = "sensor-005";
        String hub = register(id);
        assertEquals(hub, registerAndPoll(id).get("registrationState").get("assignedHub").asText());

        sim.block(id);
        HttpResponse<String> refused = client.register(id, clock.instant());
        assertEquals(401, refused.statusCode(), "IoT Central: 401 Unauthorized, sub error code 400209");
        JsonNode error = SimClient.json(refused);
        assertEquals(List.of("errorCode", "trackingId", "message", "timestampUtc"), fieldNames(error));
        assertEquals(400209, error.get("errorCode").asInt());
        assertEquals("400209", refused.headers().firstValue("x-ms-error-code").orElseThrow());
        HttpResponse<String> blockedAtHub = client.sendEvent(hub, id, "{}", clock.instant());
        assertEquals(401, blockedAtHub.statusCode());
        assertEquals("ErrorCode:IotHubUnauthorized;DEVICE_BLOCKED", SimClient.json(blockedAtHub).get("Message").asText());

        assertEquals(200, client.control("POST", "devices/" + id + "/unblock").statusCode());
        assertEquals(204, client.sendEvent(hub, id, "{}", clock.instant()).statusCode());

        sim.block("blocked-before-first-call");
        assertEquals(401, client.register("blocked-before-first-call", clock.instant()).statusCode());
        assertFalse(sim.device("blocked-before-first-call").orElseThrow().hub().isPresent(), "never assigned");
    }

    @Test
    void aDeviceAwaitingApprovalIsRefusedWith400209UntilAnOperatorApprovesIt() {
        String id = "sensor-013";
        assertEquals(200, client.control("POST", "devices/" + id + "/await-approval").statusCode());
        assertTrue(SimClient.json(client.control("GET", "devices/" + id)).get("awaitingApproval").asBoolean());
        HttpResponse<String> waiting = client.register(id, clock.instant());
        assertEquals(401, waiting.statusCode());
        assertEquals(400209, SimClient.json(waiting).get("errorCode").asInt());
        assertTrue(SimClient.json(waiting).get("message").asText().contains("waiting for approval"));
        assertFalse(sim.device(id).orElseThrow().hub().isPresent());

        assertEquals(200, client.control("POST", "devices/" + id + "/approve").statusCode());
        String hub = register(id);
        assertEquals(204, client.sendEvent(hub, id, "{}", clock.instant()).statusCode());
    }

    @Test
    void aDisabledDeviceGets401IotHubUnauthorizedAtItsHubAndIsRefusedByDps() {
        String id = "sensor-009";
        String hub = register(id);
        assertEquals(200, client.control("POST", "devices/" + id + "/disable").statusCode());
        HttpResponse<String> disabled = client.sendEvent(hub, id, "{}", clock.instant());
        assertEquals(401, disabled.statusCode());
        assertEquals("ErrorCode:IotHubUnauthorized;DEVICE_DISABLED", SimClient.json(disabled).get("Message").asText());
        assertEquals("IotHubUnauthorized", disabled.headers().firstValue("iothub-errorcode").orElseThrow());
        HttpResponse<String> again = client.register(id, clock.instant());
        assertEquals(401, again.statusCode());
        assertEquals(400209, SimClient.json(again).get("errorCode").asInt());

        sim.enable(id);
        assertEquals(204, client.sendEvent(hub, id, "{}", clock.instant()).statusCode());
        assertEquals(1, sim.messagesAcceptedFrom(id));
    }

    @Test
    void aDeviceMovedToAnotherHubCanFindItDisabledInTheOldOneAsIotCentralDocuments() {
        String id = "sensor-012";
        String first = register(id);
        HttpResponse<String> moved = client.control("POST", "devices/" + id + "/failover?oldHub=disabled");
        assertEquals(200, moved.statusCode(), moved.body());
        HttpResponse<String> old = client.sendEvent(first, id, "{}", clock.instant());
        assertEquals(401, old.statusCode(), "disabled in this hub and moved to another one: re-provision");
        assertEquals("ErrorCode:IotHubUnauthorized;DEVICE_DISABLED", SimClient.json(old).get("Message").asText());
        String second = register(id);
        assertNotEquals(first, second, "DPS names the new hub: the device is not refused");
        assertEquals(204, client.sendEvent(second, id, "{}", clock.instant()).statusCode());
        assertEquals(401, client.sendEvent(first, id, "{}", clock.instant()).statusCode());

        sim.failover(id, null);
        assertEquals(204, client.sendEvent(first, id, "{}", clock.instant()).statusCode(), "back in its first hub");
        assertEquals(404, client.sendEvent(second, id, "{}", clock.instant()).statusCode(), "a plain failover: 404");
        assertEquals(400, client.control("POST", "devices/" + id + "/failover?oldHub=gone").statusCode());
    }

    @Test
    void theFailedStatusFormOfTheRefusalIsSelectable() throws Exception {
        sim.close();
        sim = Simulator.start(SimulatorOptions.builder().clock(clock).dpsRefusal(DpsRefusal.FAILED_STATUS).build());
        client = new SimClient(sim);
        String id = "sensor-010";
        sim.block(id);
        JsonNode failed = registerAndPoll(id);
        assertEquals("failed", failed.get("status").asText());
        assertEquals(400209, failed.get("registrationState").get("errorCode").asInt());
        assertEquals("failed", failed.get("registrationState").get("status").asText());
        assertFalse(failed.get("registrationState").has("assignedHub"));
        sim.unblock(id);
        sim.disable(id);
        assertEquals("disabled", registerAndPoll(id).get("status").asText());

        assertEquals(200, client.control("POST", "dps/refusal?style=unauthorized").statusCode());
        assertEquals(401, client.register(id, clock.instant()).statusCode());
        assertEquals("unauthorized", SimClient.json(client.control("GET", "")).get("dpsRefusal").asText());
        assertEquals(200, client.control("POST", "dps/refusal?style=failed").statusCode());
        assertEquals(202, client.register(id, clock.instant()).statusCode());
        assertEquals(400, client.control("POST", "dps/refusal?style=maybe").statusCode());
    }

    @Test
    void anUnknownIdScopeIs404InDpsErrorShapeWhateverTheToken() {
        String id = "sensor-011";
        String scope = "0ne99999999";
        HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://"
                        + sim.dpsHost() + "/" + scope + "/registrations/" + id + "/register?api-version=2021-10-01"))
                .header("Authorization", Tokens.dpsToken(scope, id, sim.groupKey().reveal(), clock.instant()))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"registrationId\":\"" + id + "\"}")));
        assertEquals(404, r.statusCode(), r.body());
        JsonNode error = SimClient.json(r);
        assertEquals(List.of("errorCode", "trackingId", "message", "timestampUtc"), fieldNames(error));
        assertTrue(error.get("message").asText().contains("ID scope"), error.toString());
        assertFalse(sim.device(id).isPresent());
    }

    @Test
    void rejectsBadApiVersionsIdsAndBodiesWithTheRealErrorShape() {
        String id = "sensor-006";
        HttpResponse<String> noVersion = client.send(java.net.http.HttpRequest.newBuilder(client.dpsUri(id + "/register"))
                .header("Authorization", client.dpsToken(id, clock.instant()))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"registrationId\":\"" + id + "\"}")));
        assertEquals(400, noVersion.statusCode());
        assertEquals(List.of("errorCode", "trackingId", "message", "timestampUtc"), fieldNames(SimClient.json(noVersion)));

        HttpResponse<String> malformed = client.register(id, "{\"registrationId\":", client.dpsToken(id, clock.instant()));
        assertEquals(400, malformed.statusCode());
        assertEquals(400004, SimClient.json(malformed).get("errorCode").asInt());
        assertEquals(400, client.register(id, "{\"registrationId\":\"other\"}", client.dpsToken(id, clock.instant()))
                .statusCode());
        assertEquals(400, client.register(id, "{\"registrationId\":\"" + id + "\",\"payload\":\"{not json\"}",
                client.dpsToken(id, clock.instant())).statusCode());

        for (String bad : List.of("ends-with.", "has%20space", "x".repeat(129))) {
            HttpResponse<String> r = client.register(bad, "{}", client.dpsToken(bad, clock.instant()));
            assertEquals(400, r.statusCode(), bad);
            assertEquals(400004, SimClient.json(r).get("errorCode").asInt(), bad);
        }
        String longest = "x".repeat(128);
        assertEquals(202, client.register(longest, clock.instant()).statusCode());
        assertEquals(202, client.register("Mixed.Case_id:7-", clock.instant()).statusCode());

        String hub = register(id);
        HttpResponse<String> hubNoVersion = client.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://" + hub + "/devices/" + id + "/messages/events"))
                .header("Authorization", client.hubToken(hub, id, clock.instant()))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(400, hubNoVersion.statusCode());
        assertTrue(SimClient.json(hubNoVersion).get("Message").asText().startsWith("ErrorCode:ArgumentInvalid;"));
    }

    @Test
    void aMessageOver256KbIsRefusedWith413() {
        String id = "sensor-007";
        String hub = register(id);
        String body = "{\"x\":\"" + "a".repeat(256 * 1024 - 8) + "\"}";
        assertEquals(256 * 1024, body.length());
        assertEquals(204, client.sendEvent(hub, id, body, clock.instant()).statusCode());
        HttpResponse<String> tooLarge = client.sendEvent(hub, id, body, client.hubToken(hub, id, clock.instant()),
                Map.of("iothub-messageid", "m-1"));
        assertEquals(413, tooLarge.statusCode(), "properties count towards the limit");
        assertTrue(SimClient.json(tooLarge).get("Message").asText().startsWith("ErrorCode:MessageTooLarge;"));
        assertEquals(413, client.sendEvent(hub, id, body + " ", clock.instant()).statusCode());
        assertEquals(1, sim.messagesAcceptedFrom(id));
    }

    @Test
    void controlApiListsDevicesAndNeverShowsTheGroupKey() {
        String id = "sensor-008";
        client.register(id, "{\"registrationId\":\"" + id + "\",\"payload\":{\"modelId\":\"" + MODEL + "\"}}",
                client.dpsToken(id, clock.instant()));
        String hub = sim.hub(sim.initialHubFor(id)).host();
        client.sendEvent(hub, id, "{\"temperature\":20}", clock.instant());

        HttpResponse<String> list = client.control("GET", "devices");
        assertEquals(200, list.statusCode());
        JsonNode device = SimClient.json(list).get("devices").get(0);
        assertEquals(id, device.get("deviceId").asText());
        assertEquals(hub, device.get("hubHost").asText());
        assertEquals(MODEL, device.get("modelId").asText());
        assertEquals(1, device.get("messageCount").asInt());
        assertEquals(20, device.get("lastTelemetry").get("temperature").asInt());
        assertEquals("2026-11-27T10:00:00Z", device.get("lastTelemetryTime").asText());

        AdminResponse direct = sim.admin("GET", "devices", Map.of());
        assertEquals(list.body(), direct.json(), "the same API for a server that mounts it");
        HttpResponse<String> info = client.control("GET", "");
        assertEquals(sim.idScope(), SimClient.json(info).get("idScope").asText());
        for (HttpResponse<String> r : List.of(list, info, client.control("GET", "counters"), client.control("GET", "messages"))) {
            assertFalse(r.body().contains(sim.groupKey().reveal()), r.body());
            assertFalse(r.body().contains(Tokens.deviceKey(sim.groupKey().reveal(), id)), r.body());
        }
        assertEquals(404, client.control("GET", "nothing-here").statusCode());
        assertEquals(405, client.control("GET", "devices/" + id + "/failover").statusCode());
    }

    @Test
    void givenScopeAndKeyAreUsedAndGeneratedOnesDiffer() throws Exception {
        try (Simulator given = Simulator.start(SimulatorOptions.builder().idScope("0ne00000001")
                .groupKey(Secret.of("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")).build());
             Simulator other = Simulator.start()) {
            assertEquals("0ne00000001", given.idScope());
            assertEquals("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", given.groupKey().reveal());
            assertNotEquals(sim.groupKey(), other.groupKey());
            assertNotEquals(sim.idScope(), other.idScope());
            assertEquals(64, java.util.Base64.getDecoder().decode(other.groupKey().reveal()).length);
            assertTrue(other.idScope().matches("0ne[0-9A-F]{8}"));
            assertTrue(other.dpsHost().startsWith("127.0.0.1:"));
            assertEquals(2, other.hubHosts().size());
            assertNotEquals(other.hubHosts().get(0), other.hubHosts().get(1));
        }
    }

    private Simulator startAssigningAtOnce() {
        try {
            return Simulator.start(SimulatorOptions.builder().clock(clock).assignOnRegister(true).build());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Registers through DPS (PUT, wait Retry-After on the clock, poll) and returns the assigned hub. */
    private String register(String id) {
        JsonNode op = registerAndPoll(id);
        assertEquals("assigned", op.get("status").asText(), op.toString());
        return op.get("registrationState").get("assignedHub").asText();
    }

    /** PUT, wait the Retry-After it asks for on the clock, poll: the operation's outcome. */
    private JsonNode registerAndPoll(String id) {
        HttpResponse<String> put = client.register(id, clock.instant());
        assertEquals(202, put.statusCode(), put.body());
        clock.advance(Duration.ofSeconds(Long.parseLong(put.headers().firstValue("Retry-After").orElseThrow())));
        HttpResponse<String> poll = client.poll(id, SimClient.json(put).get("operationId").asText(), clock.instant());
        assertEquals(200, poll.statusCode(), poll.body());
        return SimClient.json(poll);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
