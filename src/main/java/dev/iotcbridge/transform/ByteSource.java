package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;

/**
 * The bytes a decoding function reads: a jq array of integers 0..255, or a hex string (as payloads carry them).
 * Reads in place, without copying the whole payload. Either is checked whole, whatever part a function reads: an
 * array with a non-byte anywhere is not bytes, as hex text with a non-hex character anywhere is not (payloads are
 * small and the check is cheap), so a payload the cloud sent damaged is an error, not a value from its good part.
 */
abstract sealed class ByteSource {

    abstract int length();

    /** The byte at {@code index} (0..255); the index is in range. */
    abstract int at(int index) throws TransformFunctionException;

    static ByteSource of(String function, JsonNode in) throws TransformFunctionException {
        if (in != null && in.isArray()) {
            return new Array(function, in);
        }
        if (in != null && in.isTextual()) {
            return new Hex(function, in.textValue());
        }
        throw new TransformFunctionException(function,
                "input must be a byte array or a hex string, got " + JsonText.describe(in));
    }

    /** Checks that {@code count} bytes exist from {@code offset}. */
    final void require(String function, int offset, int count) throws TransformFunctionException {
        if ((long) offset + count > length()) {
            throw new TransformFunctionException(function, "needs " + count + (count == 1 ? " byte" : " bytes")
                    + " at offset " + offset + ", but the data has " + length());
        }
    }

    private static final class Array extends ByteSource {
        private final JsonNode array;

        Array(String function, JsonNode array) throws TransformFunctionException {
            this.array = array;
            for (int i = 0; i < array.size(); i++) {
                checkedByte(function, array.get(i), i);
            }
        }

        @Override
        int length() {
            return array.size();
        }

        @Override
        int at(int index) {
            return array.get(index).intValue(); // checked: an exact integer 0..255
        }
    }

    private static final class Hex extends ByteSource {
        private final String text;

        Hex(String function, String text) throws TransformFunctionException {
            this.text = text;
            checkHex(function, text);
        }

        @Override
        int length() {
            return text.length() >> 1;
        }

        @Override
        int at(int index) {
            return (Character.digit(text.charAt(2 * index), 16) << 4) | Character.digit(text.charAt(2 * index + 1), 16);
        }
    }

    /** Validates a whole hex string: even length, hex digits only (payloads are small; the check is cheap). */
    static void checkHex(String function, String text) throws TransformFunctionException {
        if ((text.length() & 1) != 0) {
            throw new TransformFunctionException(function, "hex text has an odd number of digits (" + text.length() + ")");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                throw new TransformFunctionException(function, "hex text has a non-hex character at position " + i
                        + " ('" + (c < ' ' || c > '~' ? String.format("\\u%04x", (int) c) : String.valueOf(c)) + "')");
            }
        }
    }

    private static final BigDecimal BYTE_MAX = BigDecimal.valueOf(255);

    static int checkedByte(String function, JsonNode element, int index) throws TransformFunctionException {
        if (element != null && element.isNumber()) {
            if (element.canConvertToInt()) {
                // exact: a double would round 1.0000000000000000001 (a BigDecimal from the body) to the byte 1
                BigDecimal v = element.decimalValue();
                if (v.signum() >= 0 && v.compareTo(BYTE_MAX) <= 0 && v.stripTrailingZeros().scale() <= 0) {
                    return v.intValue();
                }
            }
        }
        throw new TransformFunctionException(function, "byte " + index + " is not an integer 0..255: "
                + JsonText.describe(element));
    }
}
