package dev.iotcbridge.iot;

import dev.iotcbridge.error.BadInputException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One telemetry event for one device, ready for the hub. Knows nothing of webhooks.
 *
 * <p>A message that exists can be sent: the constructor is the one check of what becomes a header of the hub's
 * send-event request ({@link HubHeaderRules}, and the component's DTDL name), so the sender checks nothing again and
 * the webhook handler only adds the position of the message in its refusal. A refusal is a
 * {@link BadInputException} (400) naming the field and its rule.
 *
 * @param deviceId        registration id = hub device id, by the DPS rules ({@link HubHeaderRules#isDeviceId})
 * @param modelId         DTMI announced in the DPS registration payload, if known
 * @param body            the telemetry JSON, UTF-8: the hub message body as sent
 * @param creationTimeUtc ISO-8601 UTC with Z, sent as {@code iothub-app-iothub-creation-time-utc}
 * @param component       IoT Plug and Play component, sent as {@code dt-subject}
 * @param messageId       stable id so retried webhooks can be de-duplicated, sent as {@code iothub-messageid}
 * @param properties      application properties, sent as {@code iothub-app-{name}}: names and values HTTP tokens
 *                        ({@link HubHeaderRules})
 */
public record DeviceMessage(
        String deviceId,
        Optional<String> modelId,
        byte[] body,
        Optional<String> creationTimeUtc,
        Optional<String> component,
        Optional<String> messageId,
        Map<String, String> properties) {

    /** DTDL name of a component (IoT Plug and Play's {@code dt-subject}). */
    private static final Pattern COMPONENT = Pattern.compile("[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?");
    private static final int COMPONENT_MAX = 64;

    /** @throws BadInputException when the device id, a property, the component, the message id or the timestamp cannot be sent */
    public DeviceMessage {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(body, "body");
        if (!HubHeaderRules.isDeviceId(deviceId)) {
            // the handler validates ids, but a queued item is read back from storage, which another hand may have written
            throw BadInputException.badRequest("device id '" + shown(deviceId) + "' is not a DPS registration id:"
                    + " 1 to 128 letters, digits, '-', '.', '_' or ':', ending in a letter, digit or '-'");
        }
        properties = Map.copyOf(properties);
        for (Map.Entry<String, String> p : properties.entrySet()) {
            if (!HubHeaderRules.isHeaderToken(p.getKey())) {
                throw BadInputException.badRequest("property name '" + shown(p.getKey())
                        + "' may only hold ASCII letters, digits and ! # $ % & ' * + - . ^ _ ` | ~");
            }
            if (!HubHeaderRules.isHeaderToken(p.getValue())) {
                throw BadInputException.badRequest("property '" + p.getKey() + "' value '" + shown(p.getValue())
                        + "' may only hold ASCII letters, digits and ! # $ % & ' * + - . ^ _ ` | ~ (no spaces)");
            }
        }
        component.ifPresent(c -> {
            if (c.length() > COMPONENT_MAX || !COMPONENT.matcher(c).matches()) {
                throw BadInputException.badRequest("component '" + shown(c)
                        + "' is not a DTDL name (a letter, then letters, digits or '_', not ending in '_', at most 64)");
            }
        });
        messageId.ifPresent(m -> {
            if (!HubHeaderRules.isMessageId(m)) {
                throw BadInputException.badRequest("messageId '" + shown(m)
                        + "' must be 1 to 128 ASCII letters, digits or - : . + % _ # * ? ! ( ) , = @ ; $ '");
            }
        });
        creationTimeUtc.ifPresent(t -> {
            if (!visibleAscii(t)) {
                throw BadInputException.badRequest("timestamp '" + shown(t) + "' is not printable ASCII");
            }
        });
    }

    private static boolean visibleAscii(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** Caller text in a refusal: at most 80 characters, control characters made visible so it cannot forge a log line. */
    private static String shown(String s) {
        String cut = s.length() <= 80 ? s : s.substring(0, 80) + "...";
        StringBuilder b = new StringBuilder(cut.length());
        cut.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

    /** A message with only a device and a body, for tests and simple callers. */
    public static DeviceMessage of(String deviceId, byte[] body) {
        return new DeviceMessage(deviceId, Optional.empty(), body, Optional.empty(), Optional.empty(), Optional.empty(), Map.of());
    }
}
