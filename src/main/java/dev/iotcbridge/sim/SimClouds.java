package dev.iotcbridge.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.net.EventLoops;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Stand-ins for the clouds' downlink APIs, on a listener of their own, so that a command can be seen reaching a
 * device locally (docs/commands.md): each checks the request as its cloud documents it, prints and keeps what it
 * received, and answers as the cloud does. Its faults (errors, latency) are the drill for the bridge's downlink
 * failure handling.
 * <pre>
 * POST /api/v3/as/applications/{app}/webhooks/{webhook}/devices/{device}/down/push|replace   The Things Stack
 *      Authorization: Bearer KEY   {"downlinks": [{"f_port": 1..223, "frm_payload": base64, "priority"}]}   200 {}
 * POST /api/devices/{devEui}/queue                                                          ChirpStack v4 (and v3)
 *      Grpc-Metadata-Authorization: Bearer KEY  {"queueItem"|"deviceQueueItem": {"fPort", "data", "confirmed"}}  200 {"id"}
 * POST /api/v1/down/{integration}/{key}[/{device}]                                          Helium (legacy Console)
 *      {"payload_raw": base64, "port", "confirmed"}                                           200 Downlink scheduled
 * POST /1/rest   Authorization: Bearer KEY   {"cmd": "tx", "EUI", "port", "data": hex, "appid"}   LORIOT   200 {}
 * </pre>
 */
public final class SimClouds {

    private static final int MAX_BODY = 64 * 1024;
    private static final int KEEP = 200;

    /** One downlink a stand-in accepted. */
    public record Downlink(String cloud, String device, int port, String payloadHex, boolean confirmed, Instant at) {
    }

    private final Clock clock;
    private final Consumer<String> printer;
    private final FaultControl faults;
    private final Handler handler;
    private final Listener listener;
    private final ArrayDeque<Downlink> received = new ArrayDeque<>();
    private volatile String host = "127.0.0.1:0";
    private final boolean https;

    SimClouds(Clock clock, Consumer<String> printer, long seed, EventLoops loops, SslContext tls, Executor exemptWork) {
        this.clock = clock;
        this.printer = printer;
        this.https = tls != null;
        this.faults = new FaultControl(seed);
        this.handler = new Handler(clock, exemptWork);
        this.listener = new Listener(handler, loops, tls);
    }

    void start(int port) throws IOException {
        listener.start(port);
        host = "127.0.0.1:" + listener.port();
    }

    void stop() {
        listener.stop();
    }

    /** {@code http(s)://127.0.0.1:<port>}: the base URL of every stand-in. */
    public String baseUrl() {
        return (https ? "https://" : "http://") + host;
    }

    /** Errors and latency the stand-ins inject. */
    public FaultControl faults() {
        return faults;
    }

    /** The downlinks accepted, oldest first (the last {@value #KEEP}). */
    public synchronized List<Downlink> downlinks() {
        return List.copyOf(received);
    }

    /** The downlinks accepted for one device (as the cloud names it), oldest first. */
    public List<Downlink> downlinksTo(String device) {
        return downlinks().stream().filter(d -> d.device().equalsIgnoreCase(device)).toList();
    }

    synchronized void reset() {
        received.clear();
    }

    private void accept(Downlink d) {
        synchronized (this) {
            received.addLast(d);
            while (received.size() > KEEP) {
                received.removeFirst();
            }
        }
        if (printer != SimulatorOptions.NO_PRINTER) {
            printer.accept("downlink to " + d.cloud() + " device " + d.device() + ": port " + d.port() + " payload "
                    + (d.payloadHex().isEmpty() ? "(empty)" : d.payloadHex()) + (d.confirmed() ? " (confirmed)" : ""));
        }
    }

    private final class Handler extends Endpoint {

        Handler(Clock clock, Executor exemptWork) {
            super(clock, SimClouds.this.faults, MAX_BODY, exemptWork);
        }

        @Override
        SimResponse errorReply(SimError error) {
            ObjectNode body = Json.MAPPER.createObjectNode();
            body.put("code", error.status());
            body.put("message", error.message());
            Map<String, String> headers = error.retryAfterSeconds().isPresent()
                    ? Map.of("Retry-After", Integer.toString(error.retryAfterSeconds().getAsInt())) : Map.of();
            return SimResponse.json(error.status(), body, headers);
        }

        @Override
        SimResponse serve(SimRequest request) {
            String[] p = Query.segments(request.rawPath());
            if (!request.method().equals("POST")) {
                return bad(405, "the downlink APIs take POST");
            }
            Optional<JsonNode> body = request.body() == null ? Optional.empty()
                    : Json.parse(new String(request.body(), StandardCharsets.UTF_8)).filter(JsonNode::isObject);
            if (body.isEmpty()) {
                return bad(400, "the body must be a JSON object");
            }
            if (p.length == 11 && p[0].equals("api") && p[1].equals("v3") && p[2].equals("as") && p[3].equals("applications")
                    && p[5].equals("webhooks") && p[7].equals("devices") && p[9].equals("down")
                    && (p[10].equals("push") || p[10].equals("replace"))) {
                return theThingsStack(request, p[8], body.get());
            }
            if (p.length == 4 && p[0].equals("api") && p[1].equals("devices") && p[3].equals("queue")) {
                return chirpStack(request, p[2], body.get());
            }
            if ((p.length == 5 || p.length == 6) && p[0].equals("api") && p[1].equals("v1") && p[2].equals("down")) {
                return helium(p.length == 6 ? p[5] : "(every device of integration " + p[3] + ")", body.get());
            }
            if (p.length == 2 && p[0].equals("1") && p[1].equals("rest")) {
                return loriot(request, body.get());
            }
            return bad(404, "no downlink API at " + request.rawPath());
        }

        private SimResponse theThingsStack(SimRequest r, String device, JsonNode body) {
            if (!bearer(r.header("authorization"))) {
                return bad(401, "Authorization: Bearer <API key with traffic write rights> is required");
            }
            JsonNode list = body.get("downlinks");
            if (list == null || !list.isArray() || list.isEmpty()) {
                return bad(400, "downlinks must be a non-empty array");
            }
            for (JsonNode d : list) {
                Optional<byte[]> bytes = base64(d.get("frm_payload"));
                JsonNode port = d.get("f_port");
                if (bytes.isEmpty() || port == null || !port.isInt() || port.asInt() < 1 || port.asInt() > 223) {
                    return bad(400, "each downlink needs frm_payload (base64) and f_port (1..223)");
                }
                accept(new Downlink("the-things-stack", device, port.asInt(), HexFormat.of().formatHex(bytes.get()),
                        d.path("confirmed").asBoolean(false), clock.instant()));
            }
            return SimResponse.json(200, Json.MAPPER.createObjectNode());
        }

        private SimResponse chirpStack(SimRequest r, String devEui, JsonNode body) {
            String auth = r.header("grpc-metadata-authorization");
            if (!bearer(auth == null ? r.header("authorization") : auth)) {
                return bad(401, "Grpc-Metadata-Authorization: Bearer <API token> is required");
            }
            JsonNode item = body.has("queueItem") ? body.get("queueItem") : body.get("deviceQueueItem");
            Optional<byte[]> bytes = item == null ? Optional.empty() : base64(item.get("data"));
            JsonNode port = item == null ? null : item.get("fPort");
            if (bytes.isEmpty() || port == null || !port.isInt() || port.asInt() < 1 || port.asInt() > 223) {
                return bad(400, "queueItem needs data (base64) and fPort (1..223)");
            }
            accept(new Downlink("chirpstack", devEui, port.asInt(), HexFormat.of().formatHex(bytes.get()),
                    item.path("confirmed").asBoolean(false), clock.instant()));
            ObjectNode answer = Json.MAPPER.createObjectNode();
            answer.put("id", UUID.randomUUID().toString());
            return SimResponse.json(200, answer);
        }

        private SimResponse helium(String device, JsonNode body) {
            Optional<byte[]> bytes = base64(body.get("payload_raw"));
            JsonNode port = body.get("port");
            if (bytes.isEmpty() || port == null || !port.isInt()) {
                return bad(400, "payload_raw (base64) and port are required");
            }
            accept(new Downlink("helium", device, port.asInt(), HexFormat.of().formatHex(bytes.get()),
                    body.path("confirmed").asBoolean(false), clock.instant()));
            return new SimResponse(200, Map.of("Content-Type", "text/plain"), "Downlink scheduled".getBytes(StandardCharsets.UTF_8), false);
        }

        private SimResponse loriot(SimRequest r, JsonNode body) {
            if (!bearer(r.header("authorization"))) {
                return bad(401, "Authorization: Bearer <application token> is required");
            }
            JsonNode data = body.get("data");
            JsonNode port = body.get("port");
            if (!"tx".equals(body.path("cmd").asText()) || !body.path("EUI").isTextual() || data == null || !data.isTextual()
                    || !data.textValue().matches("([0-9A-Fa-f]{2})+") || port == null || !port.isInt()
                    || port.asInt() < 1 || port.asInt() > 223) {
                return bad(400, "a downlink is {\"cmd\": \"tx\", \"EUI\", \"port\" (1..223), \"data\" (hex), \"appid\"}");
            }
            accept(new Downlink("loriot", body.get("EUI").textValue(), port.asInt(), data.textValue().toLowerCase(),
                    body.path("confirmed").asBoolean(false), clock.instant()));
            return SimResponse.json(200, Json.MAPPER.createObjectNode());
        }

        private SimResponse bad(int status, String message) {
            return errorReply(SimError.of(status, status * 1000, "Refused", message));
        }
    }

    private static boolean bearer(String value) {
        return value != null && value.startsWith("Bearer ") && value.length() > "Bearer ".length();
    }

    private static Optional<byte[]> base64(JsonNode v) {
        if (v == null || !v.isTextual()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Base64.getDecoder().decode(v.textValue()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return "cloud API stand-ins (" + baseUrl() + ")";
    }
}
