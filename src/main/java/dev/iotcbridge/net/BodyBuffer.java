package dev.iotcbridge.net;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * A request body as it arrives, with its limit: copied once out of Netty's pooled buffers (which the caller releases
 * at once) into the array the request handler takes. It grows as bytes come rather than trusting the announced length,
 * so that a client announcing the limit and sending nothing holds no more memory than what it sent. Both the local
 * server and the simulator collect bodies with it.
 */
public final class BodyBuffer {

    /** Webhooks are a few KB: most bodies fit the first array exactly and are never copied again. */
    private static final int FIRST_ARRAY_MAX = 64 * 1024;
    private static final int FIRST_ARRAY_UNKNOWN_LENGTH = 8 * 1024;

    private final int limit;
    private byte[] bytes;
    private int size;

    /** @param announced the Content-Length, or -1 for a chunked body */
    public BodyBuffer(long announced, int limit) {
        this.limit = limit;
        long first = announced >= 0 ? Math.min(announced, FIRST_ARRAY_MAX) : FIRST_ARRAY_UNKNOWN_LENGTH;
        this.bytes = new byte[(int) Math.min(first, limit)];
    }

    /** Copies {@code piece}'s readable bytes; false, and nothing copied, when they would take the body past the limit. */
    public boolean append(ByteBuf piece) {
        int n = piece.readableBytes();
        if (n > limit - size) {
            return false;
        }
        if (size + n > bytes.length) {
            bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max(size + n, 2L * bytes.length)));
        }
        piece.getBytes(piece.readerIndex(), bytes, size, n);
        size += n;
        return true;
    }

    public byte[] toArray() {
        return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
    }
}
