package dev.iotcbridge.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The fuzzer's bytes read as a sequence of choices, front to back: the structure-aware targets turn them into
 * requests, documents and answers. Reading past the end gives zeros (the first choice), so every input, the empty one
 * included, means something, and a corpus file written by hand is a few bytes: {@code [3]} picks the fourth fixture.
 */
final class FuzzInput {

    private final byte[] data;
    private int pos;

    FuzzInput(byte[] data) {
        this.data = data;
    }

    boolean more() {
        return pos < data.length;
    }

    int remaining() {
        return data.length - pos;
    }

    /** One byte, 0..255. */
    int u8() {
        return pos < data.length ? data[pos++] & 0xff : 0;
    }

    /** 0..n-1 from one byte (n at most 256) or two (n up to 65,536). */
    int below(int n) {
        if (n <= 1) {
            return 0;
        }
        if (n <= 256) {
            return u8() % n;
        }
        return ((u8() << 8) | u8()) % n;
    }

    boolean bool() {
        return (u8() & 1) == 1;
    }

    /** True about once in {@code n} reads; false when the input has ended (zeros mean the plain choice). */
    boolean oneIn(int n) {
        return below(n) == n - 1;
    }

    int between(int lo, int hi) {
        return lo + below(hi - lo + 1);
    }

    /** Four bytes as an int, any value. */
    int int32() {
        return (u8() << 24) | (u8() << 16) | (u8() << 8) | u8();
    }

    long int64() {
        return ((long) int32() << 32) | (int32() & 0xffffffffL);
    }

    <T> T oneOf(List<T> choices) {
        return choices.get(below(choices.size()));
    }

    /** A length 0..max, then that many bytes (fewer when the input ends). */
    byte[] bytes(int max) {
        int n = Math.min(below(max + 1), remaining());
        byte[] b = Arrays.copyOfRange(data, pos, pos + n);
        pos += n;
        return b;
    }

    /** Everything not read yet. */
    byte[] rest() {
        byte[] b = Arrays.copyOfRange(data, Math.min(pos, data.length), data.length);
        pos = data.length;
        return b;
    }

    /** Bytes as UTF-8, malformed sequences replaced: any text, mostly ASCII when the fuzzer writes ASCII. */
    String text(int maxBytes) {
        return new String(bytes(maxBytes), StandardCharsets.UTF_8);
    }

    /** A string of {@code alphabet}'s characters, of length 0..max. */
    String from(String alphabet, int max) {
        int n = below(max + 1);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n && more(); i++) {
            b.append(alphabet.charAt(below(alphabet.length())));
        }
        return b.toString();
    }
}
