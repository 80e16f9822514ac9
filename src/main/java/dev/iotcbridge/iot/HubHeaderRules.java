package dev.iotcbridge.iot;

/**
 * What IoT Hub's HTTPS send-event API can carry in its headers: the one rule set for the webhook handler's
 * validation and the sender's own check, so that the two cannot disagree.
 * <ul>
 * <li>Application property names and values, and the component ({@code dt-subject}): docs/azure-protocol.md §3.3, "property names
 *     and values sent over HTTPS may only contain ASCII alphanumerics and {@code ! # $ % & ' * + - . ^ _ ` | ~}",
 *     which is exactly an HTTP token (RFC 9110 §5.6.2, {@code 1*tchar}). An empty value is refused: it is no
 *     token, and whether IoT Hub keeps an empty application property is unverified (a transform can leave the
 *     property out instead).</li>
 * <li>Message id ({@code iothub-messageid}): IoT Hub's rule for ids (reference source [S11]): 1 to 128 ASCII
 *     alphanumerics and {@code - : . + % _ # * ? ! ( ) , = @ ; $ '}.</li>
 * <li>Device id: the DPS registration id, which becomes the hub device id and the path segment of every request
 *     (https://learn.microsoft.com/azure/iot-dps/concepts-service#registration-id): 1 to 128 of
 *     {@code A-Z a-z 0-9 - . _ :}, ending in a letter, digit or {@code -}.</li>
 * </ul>
 */
public final class HubHeaderRules {

    /** Longest message id IoT Hub accepts. */
    public static final int MESSAGE_ID_MAX = 128;

    private static final String TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";
    private static final String MESSAGE_ID_SYMBOLS = "-:.+%_#*?!(),=@;$'";

    private HubHeaderRules() {
    }

    /** A non-empty HTTP token: property names and values, component names (docs/azure-protocol.md §3.3). */
    public static boolean isHeaderToken(String s) {
        return !s.isEmpty() && only(s, TOKEN_SYMBOLS);
    }

    /** 1 to 128 ASCII alphanumerics and {@code - : . + % _ # * ? ! ( ) , = @ ; $ '}. */
    public static boolean isMessageId(String s) {
        return !s.isEmpty() && s.length() <= MESSAGE_ID_MAX && only(s, MESSAGE_ID_SYMBOLS);
    }

    /** A DPS registration id: 1 to 128 of {@code A-Z a-z 0-9 - . _ :}, ending in a letter, digit or '-'. */
    public static boolean isDeviceId(String s) {
        if (s.isEmpty() || s.length() > DEVICE_ID_MAX || !only(s, "-._:")) {
            return false;
        }
        char last = s.charAt(s.length() - 1);
        return last != '.' && last != '_' && last != ':';
    }

    /** Longest registration id DPS accepts. */
    public static final int DEVICE_ID_MAX = 128;

    private static boolean only(String s, String symbols) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || symbols.indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
