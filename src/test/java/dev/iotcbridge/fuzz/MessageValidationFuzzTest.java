package dev.iotcbridge.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.testing.FakeTransforms;
import dev.iotcbridge.testing.RecordingSender;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Message validation and the hub's headers: whatever canonical messages a transform outputs, those the handler accepts
 * make requests IoT Hub takes ({@link HubRules}: ids, header characters, the 256 KB that counts the properties and the
 * system properties too), pass the sender's own check and survive the queue; those it refuses get a 400 or 413 that
 * names the field.
 *
 * <p>Entry: {@link WebhookHandler#messages} with a route whose "transform" outputs what the fuzzer built, so that any
 * output can be produced, not only what a jq program on a small body makes. Generator: each field of the canonical
 * message from valid pieces, pieces IoT Hub refuses, and lengths at the limits (128-character ids, 256 KB).
 */
class MessageValidationFuzzTest {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final List<JsonNode> OUTPUT = new ArrayList<>();
    private static final WebhookHandler HANDLER = new WebhookHandler(Settings.from(Map.of("BRIDGE_MAX_MESSAGES_PER_CALL", "4")),
            new FakeTransforms().route("gen", (body, vars) -> List.copyOf(OUTPUT)), new RecordingSender(), Runnable::run);
    private static final WebhookRequest CALL = new WebhookRequest("gen", "", Map.of(), Map.of("content-type", "application/json"),
            "{}".getBytes(StandardCharsets.UTF_8));

    /** Characters of ids and header values: the allowed ones first, then some IoT Hub or HTTP refuses. */
    private static final String ID_CHARS = "abcXYZ019-._:";
    private static final String TOKEN_CHARS = "aZ9!#$%&'*+-.^_`|~";
    private static final String MESSAGE_ID_CHARS = "aZ9-:.+%_#*?!(),=@;$'";
    private static final String REFUSED = " /\"\\()<>@,;=?[]{}\t\u0000\r\n\u007f\u00e9\u20ac\ud83d\ude00+#%";
    private static final List<String> MODELS = List.of("dtmi:com:example:Sensor;1", "dtmi:a;1", "dtmi:a:b_c;12.3",
            "dtmi:_a;1", "dtmi:a;0", "dtmi:a_;1", "dtmi:a;1.", "DTMI:a;1", "dtmi:a;1234567890", "dtmi:" + "a:".repeat(1100) + "a;1", "");
    private static final List<String> TIMES = List.of("2026-11-27T10:00:00Z", "2026-11-27T10:00:00.123Z",
            "2026-11-27T10:00:00.123456789+01:00", "2026-11-27T10:00:00", "2026-11-27", "2026-02-30T10:00:00Z",
            "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "+10000-01-01T00:00:00Z", "2026-11-27T10:00:00.000z",
            "2026-11-27t10:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27T10:00:60Z", "-0001-01-01T00:00:00Z", "", " ",
            // four-digit years an offset moves out of 0000..9999 once in UTC (finding 14)
            "0000-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00");

    @FuzzTest
    void outputs(byte[] data) {
        FuzzInput in = new FuzzInput(data);
        OUTPUT.clear();
        int messages = in.oneIn(4) ? 1 + in.below(5) : 1;
        if (messages == 1 && !in.oneIn(8)) {
            OUTPUT.add(message(in));
        } else {
            ArrayNode all = F.arrayNode();
            for (int i = 0; i < messages; i++) {
                all.add(in.oneIn(16) ? in.oneOf(List.<JsonNode>of(NullNode.getInstance(), TextNode.valueOf("m"), F.arrayNode()))
                        : message(in));
            }
            OUTPUT.add(all);
        }
        String shown = OUTPUT.toString();
        if (shown.length() > 2_000) {
            shown = Inputs.visible(shown.substring(0, 1_000)) + "...(" + shown.length() + " chars)";
        }

        Watch.get().secrets(Map.of(), Map.of()).begin();
        try {
            List<DeviceMessage> accepted = HANDLER.preview(CALL).messages();
            AcceptedMessages.check("gen", accepted, shown);
        } catch (BadInputException e) {
            Watch.get().see(e.getMessage());
            CallerText.check("the " + e.status(), e.getMessage(), shown);
            assertTrue(e.status() == 400 || e.status() == 413, "a bad message is a 400 or a 413: " + e.status() + "\n" + shown);
            assertTrue(namesWhat(e.getMessage()), "the refusal names no field: " + e.getMessage() + "\ninput: " + shown);
        } catch (BridgeException e) {
            fail("a transform's output was answered " + e.status() + ": " + e.getMessage() + "\ninput: " + shown);
        }
        Watch.get().end(shown);
    }

    private static final List<String> NAMED = List.of("deviceId", "telemetry", "timestamp", "modelId", "component",
            "propert", "messageId", "unknown field", "output null", " is a", " is an", " is null", "messages;", "IoT Hub accepts");

    /** Whether a refusal says which field (or which output) is wrong. */
    private static boolean namesWhat(String message) {
        return message.startsWith("transform gen ") && NAMED.stream().anyMatch(message::contains);
    }

    private static JsonNode message(FuzzInput in) {
        ObjectNode m = F.objectNode();
        if (!in.oneIn(32)) {
            m.set("deviceId", in.oneIn(16) ? in.oneOf(JsonMutator.NUMBERS) : TextNode.valueOf(id(in, ID_CHARS, 128)));
        }
        if (!in.oneIn(32)) {
            m.set("telemetry", in.oneIn(16) ? in.oneOf(List.<JsonNode>of(F.arrayNode(), TextNode.valueOf("t"), NullNode.getInstance()))
                    : telemetry(in));
        }
        int optional = in.u8();
        if ((optional & 1) != 0) {
            m.put("timestamp", in.bool() ? in.oneOf(TIMES) : in.text(30));
        }
        if ((optional & 2) != 0) {
            m.put("modelId", in.oneOf(MODELS));
        }
        if ((optional & 4) != 0) {
            m.put("component", id(in, "aZ9_", 64));
        }
        if ((optional & 8) != 0) {
            m.set("properties", properties(in));
        }
        if ((optional & 16) != 0) {
            m.put("messageId", id(in, MESSAGE_ID_CHARS, 128));
        }
        if ((optional & 32) != 0 && in.oneIn(4)) {
            m.put(in.bool() ? "extra" : "DeviceId", "x");
        }
        return m;
    }

    /** An id of allowed characters, at times one refused, at times at (or one past) its longest. */
    private static String id(FuzzInput in, String allowed, int max) {
        StringBuilder b = new StringBuilder(in.from(allowed, 12));
        if (in.oneIn(4)) {
            b.insert(in.below(b.length() + 1), REFUSED.charAt(in.below(REFUSED.length())));
        }
        if (in.oneIn(4)) {
            int target = max - 1 + in.below(3);
            while (b.length() < target) {
                b.append(allowed.charAt(b.length() % allowed.length()));
            }
        }
        return b.toString();
    }

    private static JsonNode telemetry(FuzzInput in) {
        ObjectNode t = F.objectNode();
        int fields = in.below(4);
        for (int i = 0; i < fields; i++) {
            t.set("f" + i, switch (in.below(5)) {
                case 0 -> in.oneOf(JsonMutator.NUMBERS);
                case 1 -> TextNode.valueOf(in.text(20));
                case 2 -> BooleanNode.valueOf(in.bool());
                case 3 -> NullNode.getInstance();
                default -> nested(in.between(1, 70));
            });
        }
        if (in.oneIn(4)) {
            // near IoT Hub's limit: the properties and system properties decide which side of it the message is
            t.put("pad", "x".repeat(262_144 - 700 + in.below(800)));
        }
        return t;
    }

    private static JsonNode nested(int depth) {
        JsonNode n = F.numberNode(1);
        for (int i = 0; i < depth; i++) {
            n = i % 2 == 0 ? F.arrayNode().add(n) : F.objectNode().set("n", n);
        }
        return n;
    }

    private static JsonNode properties(FuzzInput in) {
        if (in.oneIn(16)) {
            return in.bool() ? F.arrayNode() : TextNode.valueOf("p");
        }
        ObjectNode p = F.objectNode();
        int n = in.below(5);
        for (int i = 0; i < n; i++) {
            String name = id(in, TOKEN_CHARS, 40);
            p.set(name.isEmpty() && in.bool() ? "" : name, switch (in.below(6)) {
                case 0 -> in.oneOf(JsonMutator.NUMBERS);
                case 1 -> BooleanNode.valueOf(in.bool());
                case 2 -> NullNode.getInstance();
                case 3 -> F.objectNode();
                default -> TextNode.valueOf(in.oneIn(8) ? "v".repeat(200 + in.below(400)) : id(in, TOKEN_CHARS, 64));
            });
        }
        return p;
    }
}
