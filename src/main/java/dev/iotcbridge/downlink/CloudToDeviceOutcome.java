package dev.iotcbridge.downlink;

import dev.iotcbridge.iot.CloudToDevice;

/**
 * What became of one received command, for its log line.
 *
 * @param fields {@code key=value} fields (where it went, how many bytes), or ""
 * @param error  why it was not sent, or null
 */
record CloudToDeviceOutcome(Result result, String fields, String error, CloudToDevice.Settlement settlement, long startNanos) {

    enum Result {
        /** In the call's answer; completed. */
        ANSWERED("answered", false),
        /** Accepted by the cloud's API; completed. */
        SENT("sent", false),
        /** Can never succeed; dead-lettered. */
        REJECTED("rejected", true),
        /** May succeed later; back in the queue for a later uplink. */
        ABANDONED("abandoned", true),
        /** Not sent, left locked: the hub offers it again when the lock expires. */
        KEPT("kept", true);

        private final String word;
        private final boolean failed;

        Result(String word, boolean failed) {
            this.word = word;
            this.failed = failed;
        }

        String word() {
            return word;
        }

        boolean failed() {
            return failed;
        }
    }
}
