package dev.iotcbridge.bridge;

/**
 * Strict UTF-8 (RFC 3629), checked on the bytes without decoding them: what the JDK's decoder refuses when told to
 * report errors, this refuses too (overlong forms, UTF-16 surrogates, code points past U+10FFFF, a sequence cut
 * short, a stray continuation byte), so that Jackson can parse the body's bytes themselves.
 */
final class Utf8 {

    private Utf8() {
    }

    static boolean isValid(byte[] b) {
        int i = 0;
        int n = b.length;
        while (i < n) {
            int c = b[i];
            if (c >= 0) { // ASCII, most of any webhook
                i++;
                continue;
            }
            c &= 0xFF;
            if (c < 0xC2 || c > 0xF4) {
                return false; // a continuation byte first, an overlong 2-byte lead (C0, C1), or past U+10FFFF
            }
            if (c < 0xE0) {
                if (i + 1 >= n || !continuation(b[i + 1])) {
                    return false;
                }
                i += 2;
            } else if (c < 0xF0) {
                if (i + 2 >= n) {
                    return false;
                }
                int c1 = b[i + 1] & 0xFF;
                // E0 needs A0..BF (else overlong); ED needs 80..9F (else a UTF-16 surrogate)
                int low = c == 0xE0 ? 0xA0 : 0x80;
                int high = c == 0xED ? 0x9F : 0xBF;
                if (c1 < low || c1 > high || !continuation(b[i + 2])) {
                    return false;
                }
                i += 3;
            } else {
                if (i + 3 >= n) {
                    return false;
                }
                int c1 = b[i + 1] & 0xFF;
                // F0 needs 90..BF (else overlong); F4 needs 80..8F (else past U+10FFFF)
                int low = c == 0xF0 ? 0x90 : 0x80;
                int high = c == 0xF4 ? 0x8F : 0xBF;
                if (c1 < low || c1 > high || !continuation(b[i + 2]) || !continuation(b[i + 3])) {
                    return false;
                }
                i += 4;
            }
        }
        return true;
    }

    /**
     * Whether Jackson, given these bytes from {@code start}, reads them as UTF-8: it guesses UTF-16 or UTF-32 when one
     * of the first four bytes is 0 (valid UTF-8 for NUL, never valid JSON there).
     */
    static boolean guessedAsUtf8(byte[] b, int start) {
        for (int i = start; i < Math.min(b.length, start + 4); i++) {
            if (b[i] == 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean continuation(byte b) {
        return (b & 0xC0) == 0x80;
    }
}
