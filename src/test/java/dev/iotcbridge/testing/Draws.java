package dev.iotcbridge.testing;

import java.util.random.RandomGenerator;

/** Jitter sources that always draw the same end of a range, so a test states the exact wait a back-off makes. */
public final class Draws {

    private Draws() {
    }

    /** The largest value each bound allows: a full-jitter wait is its whole ceiling. */
    public static RandomGenerator highest() {
        return end(true);
    }

    /** Zero, whatever the bound: a full-jitter wait is no wait. */
    public static RandomGenerator lowest() {
        return end(false);
    }

    private static RandomGenerator end(boolean highest) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return highest ? Long.MAX_VALUE : 0;
            }

            @Override
            public long nextLong(long bound) {
                return highest ? bound - 1 : 0;
            }
        };
    }
}
