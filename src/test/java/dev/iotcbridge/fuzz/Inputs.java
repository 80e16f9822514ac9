package dev.iotcbridge.fuzz;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

/** Small helpers the targets share: inputs shown in failure messages, and the bytes a call allocated. */
final class Inputs {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Inputs() {
    }

    /** Text with control and non-ASCII characters escaped, cut at 600 characters: safe to print in a failure. */
    static String visible(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 600; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                b.append(c);
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        return s.length() > 600 ? b + "...(" + s.length() + " chars)" : b.toString();
    }

    static String visible(byte[] bytes) {
        return visible(new String(bytes, StandardCharsets.ISO_8859_1));
    }

    /** Bytes allocated by the calling thread so far (HotSpot's per-thread counter). */
    static long allocated() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }
}
