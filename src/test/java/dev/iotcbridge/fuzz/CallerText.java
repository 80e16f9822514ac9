package dev.iotcbridge.fuzz;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * What every message the bridge gives a caller (and writes to its log) must be: there, short enough to read, and
 * printable, so that no caller can forge a log line or a console escape through the text the bridge echoes.
 */
final class CallerText {

    /** Longer than any message the bridge writes on purpose; a message this long echoes what it was given. */
    static final int MAX = 1_000;

    private CallerText() {
    }

    static void check(String what, String text, String input) {
        if (text == null || text.isBlank()) {
            fail(what + " has no message\ninput: " + input);
        }
        if (text.length() > MAX) {
            fail(what + " is " + text.length() + " characters long, over " + MAX + ": "
                    + text.substring(0, 200) + "...\ninput: " + input);
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c)) {
                fail(what + " holds the control character U+" + String.format("%04X", (int) c) + " at " + i + ": "
                        + Inputs.visible(text) + "\ninput: " + input);
            }
        }
    }
}
