package dev.iotcbridge.downlink;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.transform.RouteDownlinks;
import dev.iotcbridge.transform.RouteTransform;
import dev.iotcbridge.transform.TransformVariables;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * From command to bytes (docs/commands.md), in this order:
 * <ol>
 * <li>a payload {@code {"payload_hex": "0f", "port": 10}} or {@code {"payload_base64": "Dw==", "port": 10}} (optionally
 *     {@code "confirmed"}) is sent as those bytes: the operator said exactly what to send;</li>
 * <li>the route's downlink mapping, when it has one, with the command as input: its output (the same shape, or
 *     {@code {"bytes": [15], "port": 10}}) is sent; {@code empty} lets the next rule try; {@code error("...")} rejects
 *     the command with that reason;</li>
 * <li>a payload that is a JSON string of hex ({@code "0f"}) is sent as those bytes;</li>
 * <li>anything else cannot be encoded and is rejected.</li>
 * </ol>
 * A port not given is the route's {@code downlink_port}, else 1. What does not fit the offer (Sigfox's exactly 8
 * bytes, a LoRaWAN data rate's maximum, the port range) is rejected: never sent cut or padded.
 */
final class CommandEncoder {

    private static final Set<String> SHAPE = Set.of("payload_hex", "payload_base64", "bytes", "port", "confirmed");
    private static final TransformVariables NO_VARIABLES = new TransformVariables(Map.of(), Map.of(), "", "");

    private CommandEncoder() {
    }

    /** The bytes and port to send, and whether the device must acknowledge them. */
    record Encoded(byte[] bytes, int port, boolean confirmed) {
    }

    static Encoded encode(Command c, DownlinkOffer offer, RouteDownlinks route, int defaultPort) throws Undeliverable {
        Encoded e = bytes(c, offer, route, defaultPort);
        fits(e, offer);
        return e;
    }

    private static Encoded bytes(Command c, DownlinkOffer offer, RouteDownlinks route, int defaultPort) throws Undeliverable {
        JsonNode p = c.payload();
        if (p.isObject() && (p.has("payload_hex") || p.has("payload_base64")) && onlyShapeFields(p) && !p.has("bytes")) {
            return shape(p, defaultPort, "the command's payload");
        }
        if (route.mapping().isPresent()) {
            RouteTransform mapping = route.mapping().get();
            List<JsonNode> out;
            try {
                out = mapping.apply(c.mappingInput(offer), NO_VARIABLES, 1);
            } catch (BadInputException e) {
                throw Undeliverable.never(e.getMessage());
            } catch (BridgeFaultException e) {
                throw Undeliverable.notNow(e.getMessage());
            }
            if (!out.isEmpty()) {
                JsonNode o = out.get(0);
                if (!o.isObject() || !onlyShapeFields(o)) {
                    throw Undeliverable.never("the downlink mapping " + mapping.route() + " must output {\"bytes\": [...]} "
                            + "or {\"payload_hex\"}/{\"payload_base64\"}, with optional port and confirmed; it output "
                            + DownlinkOffer.clip(o.toString()));
                }
                return shape(o, defaultPort, "the output of " + mapping.route());
            }
        }
        if (p.isTextual() && isHex(p.textValue())) {
            return new Encoded(HexFormat.of().parseHex(p.textValue()), defaultPort, false);
        }
        throw Undeliverable.never("the payload of command " + c.shown() + " is not {\"payload_hex\"}, {\"payload_base64\"} "
                + "or a string of hex, and " + (route.mapping().isPresent()
                        ? "the downlink mapping " + route.mapping().get().route() + " produced nothing for it"
                        : "the route has no downlink mapping (transforms/<route>.downlink.jq) to encode it"));
    }

    private static boolean onlyShapeFields(JsonNode o) {
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            if (!SHAPE.contains(it.next())) {
                return false;
            }
        }
        return true;
    }

    private static Encoded shape(JsonNode o, int defaultPort, String what) throws Undeliverable {
        int forms = (o.has("payload_hex") ? 1 : 0) + (o.has("payload_base64") ? 1 : 0) + (o.has("bytes") ? 1 : 0);
        if (forms != 1) {
            throw Undeliverable.never(what + " must have exactly one of payload_hex, payload_base64, bytes");
        }
        byte[] bytes;
        if (o.has("payload_hex")) {
            JsonNode h = o.get("payload_hex");
            if (!h.isTextual() || !isHex(h.textValue())) {
                throw Undeliverable.never(what + ": payload_hex must be a string of hex digits, two per byte");
            }
            bytes = HexFormat.of().parseHex(h.textValue());
        } else if (o.has("payload_base64")) {
            JsonNode b = o.get("payload_base64");
            try {
                if (!b.isTextual()) {
                    throw new IllegalArgumentException("not a string");
                }
                bytes = Base64.getDecoder().decode(b.textValue());
            } catch (IllegalArgumentException e) {
                throw Undeliverable.never(what + ": payload_base64 must be a base64 string");
            }
        } else {
            JsonNode a = o.get("bytes");
            if (!a.isArray()) {
                throw Undeliverable.never(what + ": bytes must be an array of integers 0..255");
            }
            bytes = new byte[a.size()];
            for (int i = 0; i < bytes.length; i++) {
                JsonNode v = a.get(i);
                if (!v.isIntegralNumber() || v.asInt() < 0 || v.asInt() > 255) {
                    throw Undeliverable.never(what + ": bytes[" + i + "] is " + DownlinkOffer.clip(v.toString())
                            + ", not an integer 0..255");
                }
                bytes[i] = (byte) v.asInt();
            }
        }
        int port = defaultPort;
        JsonNode pn = o.get("port");
        if (pn != null && !pn.isNull()) {
            if (!pn.isIntegralNumber() || pn.asInt() < 0 || pn.asInt() > DownlinkOffer.MAX_PORT) {
                throw Undeliverable.never(what + ": port must be an integer 0.." + DownlinkOffer.MAX_PORT);
            }
            port = pn.asInt();
        }
        JsonNode cn = o.get("confirmed");
        if (cn != null && !cn.isNull() && !cn.isBoolean()) {
            throw Undeliverable.never(what + ": confirmed must be true or false");
        }
        return new Encoded(bytes, port, cn != null && cn.asBoolean(false));
    }

    private static void fits(Encoded e, DownlinkOffer offer) throws Undeliverable {
        int n = e.bytes().length;
        if (offer.exactBytes().isPresent() && n != offer.exactBytes().getAsInt()) {
            throw Undeliverable.never("the downlink is " + n + " bytes; this network takes exactly "
                    + offer.exactBytes().getAsInt() + " (it is never padded or cut)");
        }
        if (offer.maxBytes().isPresent() && n > offer.maxBytes().getAsInt()) {
            throw Undeliverable.never("the downlink is " + n + " bytes; at this uplink's data rate the network takes at most "
                    + offer.maxBytes().getAsInt());
        }
        if (offer.ports().isPresent()) {
            int[] range = offer.ports().get();
            if (e.port() < range[0] || e.port() > range[1]) {
                throw Undeliverable.never("port " + e.port() + " is outside this network's " + range[0] + ".." + range[1]);
            }
        }
    }

    static boolean isHex(String s) {
        if (s.length() % 2 != 0) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
                return false;
            }
        }
        return true;
    }
}
