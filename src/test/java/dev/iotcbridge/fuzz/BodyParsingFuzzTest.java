package dev.iotcbridge.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.testing.FakeTransforms;
import dev.iotcbridge.testing.RecordingSender;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Body parsing: a webhook body of any bytes, under any Content-Type, becomes the JSON tree the transform reads, or a
 * {@link BadInputException} (400, 413, 415) that says what is wrong; never another exception, never a stack overflow,
 * and never more memory than a small multiple of the body.
 *
 * <p>Entry: {@link WebhookHandler#messages} with a route that only records what it was given, so the target survives a
 * rewrite of the parser behind it. Input: the first byte picks the Content-Type and the limits, the rest is the body.
 */
class BodyParsingFuzzTest {

    /** Content types a sender may send, the first ones JSON, then form, then what the bridge must refuse (415). */
    static final List<String> CONTENT_TYPES = List.of(
            "application/json", "application/json; charset=utf-8", "text/json", "application/vnd.kerlink.iot-v1+json",
            " Application/JSON ;x=y", "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8",
            "text/plain", "multipart/form-data; boundary=x", "application/xml", "", ";", "application/+json", "json",
            "application/json\u0000", "application/jsonx");
    private static final int SMALL_BODY = 2_048;
    private static final int SMALL_DEPTH = 8;
    /** Per byte of body, what parsing may allocate: the UTF-8 decode, the tree, Jackson's buffers. */
    private static final long BYTES_PER_BYTE = 64;
    private static final long FIXED_ALLOWANCE = 2L << 20;

    private static final ObjectMapper PLAIN = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
    private static final List<JsonNode> SEEN = new ArrayList<>(1);
    private static final Limits SMALL = new Limits(SMALL_BODY, SMALL_DEPTH);
    private static final Limits DEFAULTS = new Limits(262_144, 64);

    /** One handler per set of limits: small ones so that the fuzzer reaches them, and the defaults. */
    private record Limits(int maxBody, int maxDepth, WebhookHandler handler) {
        Limits(int maxBody, int maxDepth) {
            this(maxBody, maxDepth, new WebhookHandler(Settings.from(Map.of(
                    "BRIDGE_MAX_BODY_BYTES", Integer.toString(maxBody), "BRIDGE_MAX_JSON_DEPTH", Integer.toString(maxDepth))),
                    new FakeTransforms().route("probe", (body, vars) -> {
                        SEEN.add(body);
                        return List.of();
                    }), new RecordingSender(), Runnable::run));
        }
    }

    static {
        // classes load and caches fill on the first calls: not what a body costs
        for (Limits l : List.of(SMALL, DEFAULTS)) {
            for (String type : List.of("application/json", "application/x-www-form-urlencoded")) {
                for (String body : List.of("{\"a\": [1, 2.5e3, \"x\"]}", "a=1&b=%41", "{\"a\": 1, \"a\": 2}", "[1,", "\u00ff")) {
                    try {
                        l.handler().preview(new WebhookRequest("probe", "", Map.of(), Map.of("content-type", type),
                                body.getBytes(StandardCharsets.UTF_8)));
                    } catch (BadInputException expected) {
                        // a refusal warms its path too
                    }
                }
            }
        }
    }

    @FuzzTest
    void anyBody(byte[] data) {
        FuzzInput in = new FuzzInput(data);
        int first = in.u8();
        Limits limits = (first & 0x80) == 0 ? SMALL : DEFAULTS;
        int type = (first & 0x7f) % (CONTENT_TYPES.size() + 1);
        boolean noContentType = type == CONTENT_TYPES.size();
        String contentType = noContentType ? null : CONTENT_TYPES.get(type);
        byte[] body = in.rest();
        String shown = "Content-Type " + (noContentType ? "(none)" : Inputs.visible(contentType)) + ", body " + Inputs.visible(body);

        Map<String, String> headers = new HashMap<>();
        if (!noContentType) {
            headers.put("content-type", contentType);
        }
        Watch watch = Watch.get().secrets(Map.of(), Map.of());
        watch.begin();
        long allocated = parse(limits, headers, body, contentType, shown);
        long allowed = FIXED_ALLOWANCE + BYTES_PER_BYTE * body.length;
        if (allocated > allowed) {
            // the first input down a new path loads (and instruments) classes: only a second run measures the parse
            allocated = parse(limits, headers, body, contentType, shown);
            if (allocated > allowed) {
                fail("parsing " + body.length + " bytes allocated " + allocated + " bytes, over " + allowed + "\ninput: " + shown);
            }
        }
        watch.end(shown);
    }

    /** One call with its checks; returns the bytes it allocated. */
    private static long parse(Limits limits, Map<String, String> headers, byte[] body, String contentType, String shown) {
        Watch watch = Watch.get();
        SEEN.clear();
        long before = Inputs.allocated();
        try {
            List<?> messages = limits.handler().preview(new WebhookRequest("probe", "", Map.of(), headers, body)).messages();
            assertTrue(messages.isEmpty());
            assertEquals(1, SEEN.size(), "the transform ran once on the parsed body");
            checkParsed(SEEN.get(0), mediaType(contentType), body, limits, shown);
        } catch (BadInputException e) {
            watch.see(e.getMessage());
            CallerText.check("the " + e.status(), e.getMessage(), shown);
            checkRefusal(e, contentType, body, limits, shown);
        }
        return Inputs.allocated() - before;
    }

    /** What a parsed body must be: what the bytes say, within the limits. */
    private static void checkParsed(JsonNode tree, String mediaType, byte[] body, Limits limits, String shown) {
        assertTrue(body.length <= limits.maxBody(), "a body over the limit was parsed: " + shown);
        int depth = depth(tree);
        assertTrue(depth <= limits.maxDepth(), "a tree " + depth + " deep passed the depth limit " + limits.maxDepth() + ": " + shown);
        if (isForm(mediaType)) {
            assertTrue(tree.isObject(), "a form body is an object: " + shown);
            tree.fields().forEachRemaining(f -> assertTrue(f.getValue().isTextual(), "form values are strings: " + shown));
            return;
        }
        assertTrue(isJson(mediaType), "a body of type " + mediaType + " was parsed: " + shown);
        // the same text read by a plain parser gives the same tree: nothing invented, nothing lost
        String text = new String(body, StandardCharsets.UTF_8);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        try {
            JsonNode plain = PLAIN.readTree(text);
            assertEquals(plain, tree, "the parsed tree differs from the document: " + shown);
        } catch (Exception e) {
            fail("accepted a body a plain JSON parser refuses (" + e.getMessage() + "): " + shown);
        }
    }

    /** Which refusal a body deserves: 415 for its type, 413 for its size, else 400. */
    private static void checkRefusal(BadInputException e, String contentType, byte[] body, Limits limits, String shown) {
        int status = e.status();
        if (body.length > limits.maxBody()) {
            assertEquals(413, status, "a body over the limit is a 413: " + e.getMessage() + "\n" + shown);
            return;
        }
        String mediaType = mediaType(contentType);
        if (!isJson(mediaType) && !isForm(mediaType)) {
            assertEquals(415, status, "an unsupported type is a 415: " + e.getMessage() + "\n" + shown);
            return;
        }
        assertEquals(400, status, "a malformed body is a 400: " + e.getMessage() + "\n" + shown);
    }

    static String mediaType(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    private static final Set<String> JSON_TYPES = Set.of("application/json", "text/json");

    static boolean isJson(String mediaType) {
        return mediaType != null && (JSON_TYPES.contains(mediaType)
                || mediaType.startsWith("application/") && mediaType.endsWith("+json"));
    }

    static boolean isForm(String mediaType) {
        return "application/x-www-form-urlencoded".equals(mediaType);
    }

    /** Nesting depth as the body limit counts it: a scalar is 0, [] or {} is 1. */
    static int depth(JsonNode node) {
        if (!node.isContainerNode()) {
            return 0;
        }
        int deepest = 0;
        for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
            deepest = Math.max(deepest, depth(it.next()));
        }
        return deepest + 1;
    }
}
