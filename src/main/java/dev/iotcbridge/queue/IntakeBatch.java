package dev.iotcbridge.queue;

import java.util.List;

/**
 * One call's messages, ready for the queue: their ids (what the call answers with 202) and the queue items, in the
 * same order. On Azure the items go to the HTTP function's queue output binding; locally {@link QueueIntake} sends them.
 */
public record IntakeBatch(List<String> messageIds, List<String> items) {

    public IntakeBatch {
        messageIds = List.copyOf(messageIds);
        items = List.copyOf(items);
        if (messageIds.size() != items.size()) {
            throw new IllegalArgumentException("one id per item");
        }
    }
}
