package dev.iotcbridge.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The simulator's control API over HTTP ({@code /sim/...}). It never shows the group key or a device key.
 *
 * <pre>
 * GET  /sim                                   scope, DPS and hub hosts, scheme
 * GET  /sim/devices                           every device: hub, model id, message count, last telemetry
 * GET  /sim/devices/{id}
 * POST /sim/devices/{id}/failover[?minutes=N][&amp;oldHub=disabled]   move to the other hub (fail back after N
 *                                             minutes); the old hub answers 404, or 401 DEVICE_DISABLED
 * POST /sim/devices/{id}/block | unblock | disable | enable | await-approval | approve
 * POST /sim/devices/{id}/forget | remember     the hubs answer 404 DeviceNotFound for it for good (even after it
 *                                             registers again) while DPS goes on assigning it; remember undoes it
 * POST /sim/devices/{id}/commands/{name}[?ttl=SECONDS][&amp;payload=JSON]   queue a command as IoT Central does for an
 *                                             offline device (the payload: the body, else ?payload=; ttl default 86400)
 * GET  /sim/devices/{id}/commands             the device's queued, delivered, rejected and expired commands
 * GET  /sim/clouds                            the clouds' downlink API stand-ins: base URL, downlinks received
 * POST /sim/clouds/faults?code=500001(&amp;count=N | &amp;fraction=F) | /sim/clouds/latency?ms=N
 * GET  /sim/messages[?device=ID][&amp;limit=N]      recent accepted messages, newest last
 * GET  /sim/counters                          registrations (total, in flight, per device), messages per hub/device,
 *                                             duplicates
 * POST /sim/counters/reset
 * POST /sim/hubs/{a|b}/faults?code=429001[&amp;retryAfter=S](&amp;count=N | &amp;fraction=F)   or ?cut=true&amp;count=N
 * POST /sim/hubs/{a|b}/latency?ms=N
 * POST /sim/hubs/{a|b}/refuse | accept       stop / restart the hub's listener
 * POST /sim/hubs/{a|b}/outage?answer=refuse|503[&amp;retryAfter=S]   down for every device while DPS goes on assigning
 *                                             it: connects refused, or 503 503001 on every device request
 * POST /sim/hubs/{a|b}/restore                the outage ends
 * POST /sim/dps/faults ... | /sim/dps/latency?ms=N | /sim/dps/assign?hub=a|b|normal
 * POST /sim/dps/refusal?style=unauthorized|failed   blocked/disabled devices: 401 + 400209, or operation failed + 400209
 * POST /sim/faults/clear                      every fault and latency off, hubs listening
 * </pre>
 */
final class SimAdmin {

    private final Simulator sim;

    SimAdmin(Simulator sim) {
        this.sim = sim;
    }

    AdminResponse handle(String method, String pathAfterSim, Map<String, String> query) {
        return handle(method, pathAfterSim, query, null);
    }

    /** @param body the request's body, when the transport passes it (a command's payload), else null */
    AdminResponse handle(String method, String pathAfterSim, Map<String, String> query, byte[] body) {
        String[] p = Query.segments(pathAfterSim == null ? "" : pathAfterSim);
        String m = method.toUpperCase(Locale.ROOT);
        try {
            if (p.length == 0) {
                return get(m, this::info);
            }
            switch (p[0]) {
                case "devices":
                    if (p.length == 1) {
                        return get(m, this::devices);
                    }
                    if (p.length == 2) {
                        return get(m, () -> device(p[1]));
                    }
                    if (p.length == 3 && p[2].equals("commands")) {
                        return get(m, () -> commandsOf(p[1]));
                    }
                    if (p.length == 3) {
                        return post(m, () -> deviceAction(p[1], p[2], query));
                    }
                    if (p.length == 4 && p[2].equals("commands")) {
                        return post(m, () -> queueCommand(p[1], p[3], query, body));
                    }
                    break;
                case "clouds":
                    if (p.length == 1) {
                        return get(m, this::clouds);
                    }
                    if (p.length == 2 && p[1].equals("faults")) {
                        return post(m, () -> {
                            addFault(sim.clouds().faults(), query);
                            return ok("clouds faults");
                        });
                    }
                    if (p.length == 2 && p[1].equals("latency")) {
                        return post(m, () -> {
                            sim.clouds().faults().latency(Duration.ofMillis(integer(query.get("ms"), "ms", 0, 600_000)));
                            return ok("clouds latency");
                        });
                    }
                    break;
                case "messages":
                    if (p.length == 1) {
                        return get(m, () -> messages(query));
                    }
                    break;
                case "counters":
                    if (p.length == 1) {
                        return get(m, this::counters);
                    }
                    if (p.length == 2 && p[1].equals("reset")) {
                        return post(m, () -> {
                            sim.resetCounters();
                            return counters();
                        });
                    }
                    break;
                case "hubs":
                    if (p.length == 3) {
                        SimHub hub = sim.hub(hubId(p[1]));
                        return post(m, () -> hubAction(hub, p[2], query));
                    }
                    break;
                case "dps":
                    if (p.length == 2) {
                        return post(m, () -> dpsAction(p[1], query));
                    }
                    break;
                case "faults":
                    if (p.length == 2 && p[1].equals("clear")) {
                        return post(m, () -> {
                            sim.clearFaults();
                            return ok("faults cleared");
                        });
                    }
                    break;
                default:
                    break;
            }
            return error(404, "no control endpoint " + pathAfterSim + "; see GET /sim");
        } catch (NoSuchElementException e) {
            return error(404, e.getMessage());
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage());
        }
    }

    private interface Action {
        AdminResponse run();
    }

    private static AdminResponse get(String method, Action action) {
        return method.equals("GET") ? action.run() : error(405, "use GET");
    }

    private static AdminResponse post(String method, Action action) {
        return method.equals("POST") ? action.run() : error(405, "use POST");
    }

    private AdminResponse info() {
        ObjectNode json = Json.MAPPER.createObjectNode();
        json.put("idScope", sim.idScope());
        json.put("dpsHost", sim.dpsHost());
        json.put("scheme", sim.scheme());
        ObjectNode hubs = json.putObject("hubs");
        for (HubId id : HubId.values()) {
            ObjectNode h = hubs.putObject(id.name());
            h.put("host", sim.hub(id).host());
            h.put("acceptingConnections", sim.hub(id).acceptingConnections());
            h.put("outage", sim.hub(id).outage().map(o -> o.name().toLowerCase(Locale.ROOT)).orElse(null));
        }
        json.put("retryAfterSeconds", sim.options().retryAfterSeconds());
        json.put("dpsRefusal", sim.dps().refusal().name().toLowerCase(Locale.ROOT));
        return new AdminResponse(200, json.toString());
    }

    private AdminResponse devices() {
        ObjectNode json = Json.MAPPER.createObjectNode();
        ArrayNode list = json.putArray("devices");
        sim.devices().forEach(d -> list.add(deviceJson(d)));
        return new AdminResponse(200, json.toString());
    }

    private AdminResponse device(String id) {
        return sim.device(id).map(d -> new AdminResponse(200, deviceJson(d).toString()))
                .orElseGet(() -> error(404, "no device " + id));
    }

    private AdminResponse deviceAction(String id, String action, Map<String, String> query) {
        switch (action) {
            case "failover" -> {
                Duration failback = Optional.ofNullable(query.get("minutes")).map(SimAdmin::minutes).orElse(null);
                String oldHub = query.getOrDefault("oldHub", "notFound");
                if (!oldHub.equals("notFound") && !oldHub.equals("disabled")) {
                    throw new IllegalArgumentException("oldHub is notFound (404 DeviceNotFound, the default) or disabled "
                            + "(401 IotHubUnauthorized DEVICE_DISABLED)");
                }
                sim.failover(id, failback, oldHub.equals("disabled"));
            }
            case "block" -> sim.block(id);
            case "unblock" -> sim.unblock(id);
            case "disable" -> sim.disable(id);
            case "enable" -> sim.enable(id);
            case "await-approval" -> sim.awaitApproval(id);
            case "approve" -> sim.approve(id);
            case "forget" -> sim.forget(id);
            case "remember" -> sim.remember(id);
            default -> {
                return error(404, "no device action " + action
                        + "; use failover, block, unblock, disable, enable, await-approval, approve, forget or remember");
            }
        }
        return device(id);
    }

    private AdminResponse queueCommand(String deviceId, String name, Map<String, String> query, byte[] body) {
        if (name.isEmpty() || name.length() > 128 || !name.matches("[A-Za-z0-9_*:.-]+")) {
            throw new IllegalArgumentException("a command name is letters, digits and _ (component*name for a command of a component)");
        }
        byte[] payload = body != null && body.length > 0 ? body
                : query.containsKey("payload") ? query.get("payload").getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (payload.length > 0 && Json.parse(new String(payload, StandardCharsets.UTF_8)).isEmpty()) {
            throw new IllegalArgumentException("the payload must be JSON, as IoT Central sends it: e.g. {\"minutes\": 15}, "
                    + "{\"payload_hex\": \"0f\", \"port\": 10} or \"0f\" (a string, in quotes)");
        }
        Duration ttl = Optional.ofNullable(query.get("ttl"))
                .map(v -> Duration.ofSeconds(integer(v, "ttl", 1, (int) SimCommands.MAX_TTL.toSeconds())))
                .orElse(SimCommands.DEFAULT_TTL);
        SimCommands.Command c;
        try {
            c = sim.queueCommand(deviceId, name, payload, ttl);
        } catch (IllegalStateException e) {
            return error(403, e.getMessage());
        }
        return new AdminResponse(200, commandJson(c).toString());
    }

    private AdminResponse commandsOf(String deviceId) {
        return new AdminResponse(200, commandsJson(sim.commands(deviceId)).toString());
    }

    private AdminResponse clouds() {
        ObjectNode json = Json.MAPPER.createObjectNode();
        json.put("baseUrl", sim.clouds().baseUrl());
        ArrayNode list = json.putArray("downlinks");
        for (SimClouds.Downlink d : sim.clouds().downlinks()) {
            ObjectNode o = list.addObject();
            o.put("cloud", d.cloud());
            o.put("device", d.device());
            o.put("port", d.port());
            o.put("payloadHex", d.payloadHex());
            o.put("confirmed", d.confirmed());
            o.put("at", d.at().toString());
        }
        return new AdminResponse(200, json.toString());
    }

    /** A device's commands by what became of them. */
    private static ObjectNode commandsJson(List<SimCommands.Command> commands) {
        ObjectNode json = Json.MAPPER.createObjectNode();
        ArrayNode queued = json.putArray("queued");
        ArrayNode delivered = json.putArray("delivered");
        ArrayNode rejected = json.putArray("rejected");
        ArrayNode expired = json.putArray("expired");
        for (SimCommands.Command c : commands) {
            switch (c.state()) {
                case QUEUED, LOCKED -> queued.add(commandJson(c));
                case COMPLETED -> delivered.add(commandJson(c));
                case REJECTED -> rejected.add(commandJson(c));
                case EXPIRED -> expired.add(commandJson(c));
            }
        }
        return json;
    }

    private static ObjectNode commandJson(SimCommands.Command c) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("commandId", c.messageId());
        o.put("name", c.methodName());
        o.set("payload", c.payload().length == 0 ? null : bodyJson(new String(c.payload(), StandardCharsets.UTF_8)));
        o.put("state", c.state().name().toLowerCase(Locale.ROOT));
        o.put("deliveryCount", c.deliveryCount());
        o.put("enqueuedAt", c.enqueuedAt().toString());
        o.put("expiresAt", c.expiresAt().toString());
        c.why().ifPresent(w -> o.put("why", w));
        c.settledAt().ifPresent(t -> o.put("settledAt", t.toString()));
        return o;
    }

    private AdminResponse messages(Map<String, String> query) {
        int limit = Optional.ofNullable(query.get("limit")).map(v -> integer(v, "limit", 1, 100_000)).orElse(100);
        String device = query.get("device");
        List<SimMessage> all = sim.messages().stream()
                .filter(msg -> device == null || msg.deviceId().equalsIgnoreCase(device)).toList();
        ObjectNode json = Json.MAPPER.createObjectNode();
        ArrayNode list = json.putArray("messages");
        for (SimMessage msg : all.subList(Math.max(0, all.size() - limit), all.size())) {
            ObjectNode o = list.addObject();
            o.put("deviceId", msg.deviceId());
            o.put("hub", msg.hub().name());
            o.put("hubHost", msg.hubHost());
            o.put("receivedAt", msg.receivedAt().toString());
            msg.messageId().ifPresent(v -> o.put("messageId", v));
            msg.component().ifPresent(v -> o.put("component", v));
            msg.contentType().ifPresent(v -> o.put("contentType", v));
            msg.contentEncoding().ifPresent(v -> o.put("contentEncoding", v));
            ObjectNode props = o.putObject("properties");
            msg.properties().forEach(props::put);
            o.set("body", bodyJson(msg.body()));
        }
        return new AdminResponse(200, json.toString());
    }

    private AdminResponse counters() {
        SimCounters c = sim.counters();
        ObjectNode json = Json.MAPPER.createObjectNode();
        json.put("registrationsReceived", c.registrationsReceived());
        json.put("registrationsInFlight", c.registrationsInFlight());
        json.put("maxRegistrationsInFlight", c.maxRegistrationsInFlight());
        json.put("maxRegistrationsPerDevice", c.maxRegistrationsPerDevice());
        ObjectNode registrations = json.putObject("registrationsPerDevice");
        c.registrationsPerDevice().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> registrations.put(e.getKey(), e.getValue()));
        json.put("messagesAccepted", c.messagesAccepted());
        ObjectNode perHub = json.putObject("messagesPerHub");
        c.messagesPerHub().forEach((hub, n) -> perHub.put(hub.name(), n));
        ObjectNode requests = json.putObject("hubRequests");
        c.hubRequests().forEach((hub, n) -> requests.put(hub.name(), n));
        ObjectNode perDevice = json.putObject("messagesPerDevice");
        c.messagesPerDevice().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> perDevice.put(e.getKey(), e.getValue()));
        ObjectNode duplicates = json.putObject("duplicateMessageIds");
        c.duplicateMessageIds().forEach(duplicates::put);
        return new AdminResponse(200, json.toString());
    }

    private AdminResponse hubAction(SimHub hub, String action, Map<String, String> query) {
        switch (action) {
            case "faults" -> addFault(hub.faults(), query);
            case "latency" -> hub.faults().latency(Duration.ofMillis(integer(query.get("ms"), "ms", 0, 600_000)));
            case "refuse" -> hub.refuseConnections();
            case "accept" -> hub.acceptConnections();
            case "outage" -> hub.startOutage(outage(query.get("answer")), query.containsKey("retryAfter")
                    ? OptionalInt.of(integer(query.get("retryAfter"), "retryAfter", 0, 3_600)) : OptionalInt.empty());
            case "restore" -> hub.endOutage();
            default -> {
                return error(404, "no hub action " + action + "; use faults, latency, refuse, accept, outage or restore");
            }
        }
        return ok("hub " + hub.id() + " " + action);
    }

    private AdminResponse dpsAction(String action, Map<String, String> query) {
        switch (action) {
            case "faults" -> addFault(sim.dps().faults(), query);
            case "latency" -> sim.dps().faults().latency(Duration.ofMillis(integer(query.get("ms"), "ms", 0, 600_000)));
            case "assign" -> {
                String hub = Optional.ofNullable(query.get("hub")).orElse("");
                if (hub.equalsIgnoreCase("normal")) {
                    sim.dps().allocateNormally();
                } else {
                    sim.dps().assignAllTo(hubId(hub));
                }
            }
            case "refusal" -> sim.dps().refuseAs(switch (Optional.ofNullable(query.get("style")).orElse("")) {
                case "unauthorized" -> DpsRefusal.UNAUTHORIZED;
                case "failed" -> DpsRefusal.FAILED_STATUS;
                default -> throw new IllegalArgumentException("style is unauthorized (401 + 400209) or failed "
                        + "(operation status failed + 400209)");
            });
            default -> {
                return error(404, "no DPS action " + action + "; use faults, latency, assign or refusal");
            }
        }
        return ok("dps " + action);
    }

    private static void addFault(FaultControl faults, Map<String, String> query) {
        boolean cut = Boolean.parseBoolean(query.getOrDefault("cut", "false"));
        String count = query.get("count");
        String fraction = query.get("fraction");
        if ((count == null) == (fraction == null)) {
            throw new IllegalArgumentException("give either count=N or fraction=F");
        }
        if (cut) {
            if (count != null) {
                faults.cutNext(integer(count, "count", 1, 1_000_000));
            } else {
                faults.cutFraction(decimal(fraction));
            }
            return;
        }
        String code = query.get("code");
        if (code == null) {
            throw new IllegalArgumentException("give code=NNNNNN (e.g. 429001) or cut=true");
        }
        SimError error = SimError.ofCode(integer(code, "code", 100_000, 999_999));
        if (query.containsKey("retryAfter")) {
            error = error.withRetryAfter(integer(query.get("retryAfter"), "retryAfter", 0, 3_600));
        }
        if (count != null) {
            faults.failNext(integer(count, "count", 1, 1_000_000), error);
        } else {
            faults.failFraction(decimal(fraction), error);
        }
    }

    private ObjectNode deviceJson(DeviceView d) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("deviceId", d.deviceId());
        o.put("hub", d.hub().map(HubId::name).orElse(null));
        o.put("hubHost", d.hubHost().orElse(null));
        o.put("modelId", d.modelId().orElse(null));
        o.put("blocked", d.blocked());
        o.put("disabled", d.disabled());
        o.put("awaitingApproval", d.awaitingApproval());
        o.put("forgotten", d.forgotten());
        o.put("failbackAt", d.failbackAt().map(Object::toString).orElse(null));
        o.put("messageCount", d.messageCount());
        o.set("lastTelemetry", d.lastTelemetry().map(SimAdmin::bodyJson).orElse(null));
        o.put("lastTelemetryTime", d.lastTelemetryTime().map(Object::toString).orElse(null));
        o.set("commands", commandsJson(sim.commands(d.deviceId())));
        return o;
    }

    /** A JSON body as JSON, anything else as a string. */
    private static JsonNode bodyJson(String body) {
        return Json.parse(body).orElseGet(() -> Json.MAPPER.getNodeFactory().textNode(body));
    }

    private static HubOutage outage(String answer) {
        return switch (Optional.ofNullable(answer).orElse("")) {
            case "refuse" -> HubOutage.REFUSE_CONNECTIONS;
            case "503" -> HubOutage.SERVICE_UNAVAILABLE;
            default -> throw new IllegalArgumentException("answer is refuse (connections refused) or 503 (every device "
                    + "request answered 503 ServiceUnavailable)");
        };
    }

    private static HubId hubId(String name) {
        try {
            return HubId.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new NoSuchElementException("no hub " + name + "; the hubs are a and b");
        }
    }

    private static Duration minutes(String value) {
        return Duration.ofMinutes(integer(value, "minutes", 1, 525_600));
    }

    private static int integer(String value, String name, int min, int max) {
        try {
            int n = Integer.parseInt(value == null ? "" : value.trim());
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number in " + min + ".." + max);
        }
    }

    private static double decimal(String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("fraction must be a number in (0, 1]");
        }
    }

    private static AdminResponse ok(String what) {
        ObjectNode json = Json.MAPPER.createObjectNode();
        json.put("ok", what);
        return new AdminResponse(200, json.toString());
    }

    private static AdminResponse error(int status, String message) {
        ObjectNode json = Json.MAPPER.createObjectNode();
        json.put("error", message);
        return new AdminResponse(status, json.toString());
    }
}
