package dev.iotcbridge.fuzz;

import dev.iotcbridge.iot.DeviceMessage;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What IoT Hub and DPS refuse in a device-to-cloud message sent over HTTPS, written from Microsoft's documentation
 * independently of the bridge's own validation (MessageValidator, HubHeaderRules), so that the targets can compare
 * the two: a message the bridge accepts must break none of these rules.
 * <ul>
 * <li>Registration id = hub device id (group enrollment): 1 to 128 of {@code A-Z a-z 0-9 - . _ :}, ending in a
 *     letter, digit or '-' (https://learn.microsoft.com/azure/iot-dps/concepts-service#registration-id; the hub's
 *     device-id alphabet, https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-identity-registry, is wider).</li>
 * <li>Application property names and values over HTTPS: ASCII letters and digits and {@code ! # $ % & ' * + - . ^ _ ` | ~};
 *     message id: up to 128 ASCII letters and digits and {@code - : . + % _ # * ? ! ( ) , = @ ; $ '}
 *     (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-construct).</li>
 * <li>Size: at most 256 KB, counting the body, the values of the system properties and the names and values of the
 *     application properties (same page, and https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling).
 *     The bridge always sends the content type {@code application/json} and encoding {@code utf-8} as system
 *     properties, the message id and the component ({@code dt-subject}) as system properties, and the timestamp as
 *     application property {@code iothub-creation-time-utc}.</li>
 * <li>Every header must be a valid HTTP/1.1 field (RFC 9110 §5): checked with Netty's validating headers.</li>
 * </ul>
 */
final class HubRules {

    static final int MESSAGE_LIMIT = 256 * 1024;
    private static final Pattern REGISTRATION_ID = Pattern.compile("[A-Za-z0-9._:-]{0,127}[A-Za-z0-9-]");
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");
    private static final Pattern MESSAGE_ID = Pattern.compile("[A-Za-z0-9:.+%_#*?!(),=@;$'-]{1,128}");
    private static final Pattern UTC = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,7})?Z");
    private static final String CONTENT_TYPE = "application/json";
    private static final String CONTENT_ENCODING = "utf-8";
    private static final String CREATION_TIME = "iothub-creation-time-utc";

    private HubRules() {
    }

    /** Every rule the message breaks; empty when IoT Hub would take it. */
    static List<String> violations(DeviceMessage m) {
        List<String> broken = new ArrayList<>();
        if (!REGISTRATION_ID.matcher(m.deviceId()).matches()) {
            broken.add("device id '" + Inputs.visible(m.deviceId()) + "' is not a DPS registration id");
        }
        long size = m.body().length + CONTENT_TYPE.length() + CONTENT_ENCODING.length();
        for (Map.Entry<String, String> p : m.properties().entrySet()) {
            if (!TOKEN.matcher(p.getKey()).matches() || !TOKEN.matcher(p.getValue()).matches()) {
                broken.add("property '" + Inputs.visible(p.getKey()) + "'='" + Inputs.visible(p.getValue())
                        + "' has a character IoT Hub refuses over HTTPS");
            }
            size += utf8(p.getKey()) + utf8(p.getValue());
        }
        if (m.messageId().isPresent()) {
            if (!MESSAGE_ID.matcher(m.messageId().get()).matches()) {
                broken.add("message id '" + Inputs.visible(m.messageId().get()) + "' breaks IoT Hub's message id rule");
            }
            size += utf8(m.messageId().get());
        }
        if (m.component().isPresent()) {
            if (!TOKEN.matcher(m.component().get()).matches()) {
                broken.add("component '" + Inputs.visible(m.component().get()) + "' cannot travel as dt-subject");
            }
            size += utf8(m.component().get());
        }
        if (m.creationTimeUtc().isPresent()) {
            String t = m.creationTimeUtc().get();
            if (!UTC.matcher(t).matches() || !parses(t)) {
                broken.add("creation time '" + Inputs.visible(t) + "' is not an ISO-8601 UTC time");
            }
            size += CREATION_TIME.length() + utf8(t);
        }
        if (size > MESSAGE_LIMIT) {
            broken.add("the message counts " + size + " bytes for IoT Hub, over its " + MESSAGE_LIMIT);
        }
        HttpHeaders headers = new DefaultHttpHeaders(true);
        try {
            m.properties().forEach((k, v) -> headers.add("iothub-app-" + k, v));
            m.messageId().ifPresent(v -> headers.add("iothub-messageid", v));
            m.component().ifPresent(v -> headers.add("dt-subject", v));
            m.creationTimeUtc().ifPresent(v -> headers.add("iothub-app-" + CREATION_TIME, v));
        } catch (IllegalArgumentException e) {
            broken.add("not a valid HTTP header: " + e.getMessage());
        }
        return broken;
    }

    private static boolean parses(String t) {
        try {
            Instant.parse(t);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
