package dev.iotcbridge.queue;

import java.util.Optional;

/**
 * One message of the poison queue. The bridge writes the reason beside the item; the Functions host, when it gives
 * up on its own after its maxDequeueCount, moves the bare item, which then has no reason.
 *
 * @param reason   why the bridge gave up, absent for an item the Functions host moved
 * @param itemText the queue item as it was queued, to inspect or put back on the queue
 */
public record PoisonEntry(Optional<PoisonReason> reason, String itemText) {
}
