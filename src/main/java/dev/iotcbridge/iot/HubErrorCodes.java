package dev.iotcbridge.iot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;

/**
 * Finds IoT Hub's numeric error code in a failed response (docs/azure-protocol.md §3.5), in the order the C# service SDK uses:
 * the {@code errorCode} of the JSON inside {@code Message}, then the {@code ErrorCode:<Name>;} prefix of
 * {@code Message}; then a top-level {@code errorCode}, then the {@code iothub-errorcode} header. Only on error paths.
 */
final class HubErrorCodes {

    /** The names the hub uses in "ErrorCode:<Name>" and in the iothub-errorcode header, for the codes the policy reads. */
    private static final Map<String, Integer> BY_NAME = Map.ofEntries(
            Map.entry("ArgumentInvalid", 400004),
            Map.entry("IotHubFormatError", 400006),
            Map.entry("IotHubUnauthorizedAccess", 401002),
            Map.entry("IotHubUnauthorized", 401003),
            Map.entry("IotHubQuotaExceeded", 403002),
            Map.entry("DeviceMaximumQueueDepthExceeded", 403004),
            Map.entry("DeviceDisabled", 403012),
            Map.entry("DeviceNotFound", 404001),
            Map.entry("IotHubFailingOver", 404012),
            Map.entry("MessageTooLarge", 413001),
            Map.entry("ThrottlingException", 429001),
            Map.entry("ThrottleBacklogLimitExceeded", 429002),
            Map.entry("DeviceThrottlingLimitExceeded", 429005),
            Map.entry("ServerError", 500001),
            Map.entry("GenericTimeout", 500008),
            Map.entry("ServiceUnavailable", 503001),
            Map.entry("ServerBusy", 503005));

    private HubErrorCodes() {
    }

    /** @return the code, or 0 when neither the body nor the header names one */
    static int find(String body, String errorCodeHeader, ObjectMapper json) {
        int code = fromBody(body, json);
        return code != 0 ? code : fromText(errorCodeHeader);
    }

    private static int fromBody(String body, ObjectMapper json) {
        if (body == null || body.isBlank()) {
            return 0;
        }
        JsonNode tree;
        try {
            tree = json.readTree(body);
        } catch (IOException notJson) {
            return 0;
        }
        JsonNode message = tree.has("Message") ? tree.get("Message") : tree.path("message");
        if (message.isTextual()) {
            String text = message.asText().trim();
            if (text.startsWith("{")) {
                try {
                    int code = exactInt(json.readTree(text).path("errorCode"));
                    if (code != 0) {
                        return code;
                    }
                } catch (IOException notJsonInside) {
                    // fall through to the other forms
                }
            } else if (text.startsWith("ErrorCode:")) {
                int end = text.indexOf(';');
                int code = fromText(text.substring("ErrorCode:".length(), end < 0 ? text.length() : end));
                if (code != 0) {
                    return code;
                }
            }
        }
        return exactInt(tree.path("errorCode"));
    }

    /**
     * A JSON integer that an int holds exactly, else 0 (unknown): asInt would wrap 4294970298 to 3002 and make a code
     * the hub never sent (a fuzz finding, docs/fuzzing.md), or truncate 403002.5 to a real one. DPS's codes too.
     */
    static int exactInt(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToInt() ? n.intValue() : 0;
    }

    /** "404001" or "DeviceNotFound". */
    private static int fromText(String text) {
        if (text == null || text.isBlank()) {
            return 0;
        }
        String t = text.trim();
        try {
            return Integer.parseInt(t);
        } catch (NumberFormatException notNumeric) {
            return BY_NAME.getOrDefault(t, 0);
        }
    }
}
