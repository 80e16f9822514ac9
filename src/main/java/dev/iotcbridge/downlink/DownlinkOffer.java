package dev.iotcbridge.downlink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.iot.HubHeaderRules;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Where a downlink can go for the device of one uplink, as the route's transform says in the canonical message's
 * {@code downlink} field (docs/commands.md): in the answer to the webhook call, or as an HTTP request to the cloud's
 * downlink API; and what fits the network (exactly N bytes, at most N bytes, a port range). The transform writes the
 * shape of the answer or of the request's body as a template whose {@code {{hex}}}, {@code {{base64}}},
 * {@code {{port}}}... the bridge fills in ({@link DownlinkTemplate}). A secret the request carries is named, never
 * written: {@code {"from": {"header": "x-downlink-apikey"}}} or {@code {"from": {"setting": "api_key"}}}.
 *
 * <pre>
 * "downlink": {"answer": {"1A2B3C": {"downlinkData": "{{hex}}"}}, "exactBytes": 8}
 * "downlink": {"request": {"url": "https://...", "auth": {"from": {"header": "x-downlink-apikey"}},
 *              "body": {"downlinks": [{"f_port": "{{port}}", "frm_payload": "{{base64}}"}]}},
 *              "maxBytes": 51, "ports": [1, 223]}
 * </pre>
 */
record DownlinkOffer(Kind kind, JsonNode answer, Optional<Request> request, OptionalInt exactBytes,
                            OptionalInt maxBytes, Optional<int[]> ports) {

    /** The two places a downlink can go. */
    public enum Kind {
        /** In the webhook call's answer (Sigfox BIDIR): only while the call is open. */
        ANSWER,
        /** A request to the cloud's downlink API (The Things Stack, ChirpStack, Helium...). */
        REQUEST
    }

    /**
     * An HTTP request to the cloud's API.
     *
     * @param url     absolute URL template; only {@code https} (plain {@code http} only to this machine in tests)
     * @param method  POST or PUT
     * @param headers non-secret headers
     * @param auth    the secret header, if any
     * @param body    the JSON body template, or null for none
     */
    public record Request(String url, String method, Map<String, String> headers, Optional<Auth> auth, JsonNode body) {
    }

    /**
     * A secret header: {@code header: prefix + secret}, the secret from {@code from}.
     *
     * @param header e.g. {@code Authorization} or {@code Grpc-Metadata-Authorization}
     * @param prefix e.g. {@code "Bearer "}
     */
    public record Auth(String header, String prefix, SecretSource from) {
    }

    /**
     * Where a secret comes from: a header of the webhook call (which no transform sees) or a route's app setting
     * whose name ends in {@code key} (which no transform sees either).
     */
    public record SecretSource(boolean fromHeader, String name) {
        @Override
        public String toString() {
            return (fromHeader ? "header " : "setting ") + name;
        }
    }

    /** What the largest LoRaWAN port is: 224 and above are reserved for the network and tests. */
    static final int MAX_PORT = 255;
    private static final Set<String> FIELDS = Set.of("answer", "request", "exactBytes", "maxBytes", "ports");
    private static final Set<String> REQUEST_FIELDS = Set.of("url", "method", "headers", "auth", "body");
    private static final Set<String> FORBIDDEN_HEADERS = Set.of("host", "content-length", "transfer-encoding", "connection");
    private static final int MAX_BYTES = 64 * 1024;

    /** An offer the bridge cannot use; the uplink goes on without a downlink, and the reason is logged. */
    public static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Reads a transform's {@code downlink} field.
     *
     * @throws Invalid naming the field and the rule
     */
    public static DownlinkOffer parse(JsonNode node) throws Invalid {
        if (node == null || !node.isObject()) {
            throw new Invalid("downlink must be an object with answer or request");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new Invalid("downlink has an unknown field '" + clip(f) + "'; it has answer or request, exactBytes, maxBytes, ports");
            }
        }
        boolean answer = node.hasNonNull("answer");
        boolean request = node.hasNonNull("request");
        if (answer == request) {
            throw new Invalid("downlink needs exactly one of answer (the downlink travels in the call's answer) or request (an HTTP request to the cloud's API)");
        }
        OptionalInt exact = size(node, "exactBytes");
        OptionalInt max = size(node, "maxBytes");
        Optional<int[]> ports = ports(node.get("ports"));
        if (answer) {
            DownlinkTemplate.check("downlink.answer", node.get("answer"));
            return new DownlinkOffer(Kind.ANSWER, node.get("answer"), Optional.empty(), exact, max, ports);
        }
        return new DownlinkOffer(Kind.REQUEST, null, Optional.of(request(node.get("request"))), exact, max, ports);
    }

    /** What a downlink mapping sees of the offer: its limits, never its URL or headers (which may hold secrets). */
    public ObjectNode view() {
        ObjectNode v = JsonNodeFactory.instance.objectNode();
        v.put("kind", kind == Kind.ANSWER ? "answer" : "request");
        if (exactBytes.isPresent()) {
            v.put("exactBytes", exactBytes.getAsInt());
        } else {
            v.putNull("exactBytes");
        }
        if (maxBytes.isPresent()) {
            v.put("maxBytes", maxBytes.getAsInt());
        } else {
            v.putNull("maxBytes");
        }
        if (ports.isPresent()) {
            v.putArray("ports").add(ports.get()[0]).add(ports.get()[1]);
        } else {
            v.putNull("ports");
        }
        return v;
    }

    private static Request request(JsonNode r) throws Invalid {
        if (!r.isObject()) {
            throw new Invalid("downlink.request must be an object with url (and method, headers, auth, body)");
        }
        for (Iterator<String> it = r.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!REQUEST_FIELDS.contains(f)) {
                throw new Invalid("downlink.request has an unknown field '" + clip(f) + "'; it has url, method, headers, auth, body");
            }
        }
        JsonNode url = r.get("url");
        if (url == null || !url.isTextual() || url.textValue().isBlank()) {
            throw new Invalid("downlink.request.url must be the cloud API's URL as a string");
        }
        DownlinkTemplate.check("downlink.request.url", url);
        String method = text(r, "method", "POST").toUpperCase(Locale.ROOT);
        if (!method.equals("POST") && !method.equals("PUT")) {
            throw new Invalid("downlink.request.method must be POST or PUT, not '" + clip(method) + "'");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        JsonNode h = r.get("headers");
        if (h != null && !h.isNull()) {
            if (!h.isObject()) {
                throw new Invalid("downlink.request.headers must be an object of strings");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                headers.put(headerName(e.getKey()), headerValue(e.getKey(), e.getValue()));
            }
        }
        Optional<Auth> auth = auth(r.get("auth"));
        if (auth.isPresent() && headers.keySet().stream().anyMatch(n -> n.equalsIgnoreCase(auth.get().header()))) {
            throw new Invalid("downlink.request sets header " + auth.get().header() + " in both headers and auth");
        }
        JsonNode body = r.get("body");
        if (body != null && body.isNull()) {
            body = null;
        }
        if (body != null) {
            DownlinkTemplate.check("downlink.request.body", body);
        }
        return new Request(url.textValue(), method, Map.copyOf(headers), auth, body);
    }

    private static Optional<Auth> auth(JsonNode a) throws Invalid {
        if (a == null || a.isNull()) {
            return Optional.empty();
        }
        if (!a.isObject() || !a.has("from")) {
            throw new Invalid("downlink.request.auth must be an object with from ({\"header\": name} or {\"setting\": name})");
        }
        String header = headerName(text(a, "header", "Authorization"));
        String prefix = text(a, "prefix", "Bearer ");
        if (!printable(prefix)) {
            throw new Invalid("downlink.request.auth.prefix must be printable ASCII");
        }
        JsonNode from = a.get("from");
        if (from == null || !from.isObject() || from.size() != 1 || !(from.has("header") || from.has("setting"))
                || !from.elements().next().isTextual()) {
            throw new Invalid("downlink.request.auth.from must be {\"header\": \"<webhook header>\"} or {\"setting\": \"<route setting>\"}");
        }
        boolean fromHeader = from.has("header");
        String name = from.elements().next().textValue().toLowerCase(Locale.ROOT);
        if (name.isEmpty()) {
            throw new Invalid("downlink.request.auth.from names no " + (fromHeader ? "header" : "setting"));
        }
        if (!fromHeader && !dev.iotcbridge.transform.RouteDownlinks.isSecretSetting(name)) {
            // a setting a transform can read is no secret, and a secret one cannot: keep the two apart
            throw new Invalid("downlink.request.auth.from.setting must name a secret route setting (its name ends in key, e.g. api_key), not '"
                    + clip(name) + "'");
        }
        return Optional.of(new Auth(header, prefix, new SecretSource(fromHeader, name)));
    }

    private static OptionalInt size(JsonNode node, String field) throws Invalid {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return OptionalInt.empty();
        }
        if (!v.isIntegralNumber() || v.asLong() < 0 || v.asLong() > MAX_BYTES) {
            throw new Invalid("downlink." + field + " must be a whole number of bytes, 0.." + MAX_BYTES);
        }
        return OptionalInt.of(v.intValue());
    }

    private static Optional<int[]> ports(JsonNode v) throws Invalid {
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isArray() || v.size() != 2 || !v.get(0).isIntegralNumber() || !v.get(1).isIntegralNumber()
                || v.get(0).asInt() < 0 || v.get(1).asInt() > MAX_PORT || v.get(0).asInt() > v.get(1).asInt()) {
            throw new Invalid("downlink.ports must be [lowest, highest] within 0.." + MAX_PORT + " (LoRaWAN: [1, 223])");
        }
        return Optional.of(new int[] {v.get(0).asInt(), v.get(1).asInt()});
    }

    private static String text(JsonNode node, String field, String fallback) throws Invalid {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isTextual()) {
            throw new Invalid("downlink field " + field + " must be a string");
        }
        return v.textValue();
    }

    private static String headerName(String name) throws Invalid {
        if (!HubHeaderRules.isHeaderToken(name) || FORBIDDEN_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
            throw new Invalid("downlink header name '" + clip(name) + "' is not one a request may set");
        }
        return name;
    }

    private static String headerValue(String name, JsonNode v) throws Invalid {
        if (!v.isTextual() || !printable(v.textValue())) {
            throw new Invalid("downlink header " + clip(name) + " must be a string of printable ASCII");
        }
        return v.textValue();
    }

    /** What may stand in an HTTP header value here: printable ASCII, so no header can be split or smuggled. */
    static boolean printable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    static String clip(String s) {
        String shown = s.length() <= 60 ? s : s.substring(0, 60) + "...";
        StringBuilder b = new StringBuilder(shown.length());
        for (int i = 0; i < shown.length(); i++) {
            char c = shown.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return "DownlinkOffer[" + kind + "]"; // never the URL: Helium's holds a key
    }
}
