package dev.iotcbridge.downlink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.core.JsonFactory;
import dev.iotcbridge.iot.CloudToDeviceMessage;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * An IoT Central command as it arrives in a cloud-to-device message (docs/azure-protocol.md §4): the name in the
 * {@code method-name} property, {@code component*name} for a command of a component, and the request payload as the
 * body. A body that is not JSON is taken as text.
 *
 * @param name      the command's name without its component; empty when the message carries no {@code method-name}
 *                  (it was not sent by IoT Central)
 * @param component the component, for {@code component*name}
 * @param payload   the request payload: JSON as sent, a text node for a body that is not JSON, null for none
 */
public record Command(String deviceId, Optional<String> name, Optional<String> component, JsonNode payload,
                      Optional<String> messageId) {

    /** The property IoT Central names the command in. */
    static final String METHOD_NAME = "method-name";
    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build()).build()).build();

    /**
     * @throws Undeliverable when the body is not UTF-8 text: no mapping could read it, and it will never change
     */
    static Command of(CloudToDeviceMessage m) throws Undeliverable {
        String method = m.properties().get(METHOD_NAME);
        Optional<String> name = Optional.ofNullable(method);
        Optional<String> component = Optional.empty();
        if (method != null && method.indexOf('*') > 0) {
            component = Optional.of(method.substring(0, method.indexOf('*')));
            name = Optional.of(method.substring(method.indexOf('*') + 1));
        }
        return new Command(m.deviceId(), name, component, payload(m.body()), m.messageId());
    }

    private static JsonNode payload(byte[] body) throws Undeliverable {
        if (body.length == 0) {
            return NullNode.getInstance();
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw Undeliverable.never("the command's payload is not UTF-8 text");
        }
        try {
            JsonNode node = JSON.readTree(text);
            return node == null || node.isMissingNode() ? NullNode.getInstance() : node;
        } catch (JsonProcessingException e) {
            return TextNode.valueOf(text);
        }
    }

    /** The command as a downlink mapping reads it, with what the offer allows. */
    ObjectNode mappingInput(DownlinkOffer offer) {
        ObjectNode in = JsonNodeFactory.instance.objectNode();
        in.put("name", name.orElse(null));
        in.put("component", component.orElse(null));
        in.set("payload", payload);
        in.put("deviceId", deviceId);
        in.put("messageId", messageId.orElse(null));
        in.set("downlink", offer.view());
        return in;
    }

    /** The name as logs show it: {@code component*name}, or {@code (none)}. */
    String shown() {
        String n = name.map(DownlinkOffer::clip).orElse("(none)");
        return component.map(c -> DownlinkOffer.clip(c) + "*" + n).orElse(n);
    }
}
