package dev.iotcbridge.function;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.OutputBinding;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.QueueOutput;
import com.microsoft.azure.functions.annotation.QueueTrigger;
import dev.iotcbridge.bridge.BridgeRuntime;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.net.EventLoops;
import dev.iotcbridge.iot.IotHubSender;
import dev.iotcbridge.queue.QueueDelivery;
import dev.iotcbridge.queue.QueueOptions;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Durable mode on Azure: the queue-triggered function that forwards each queued message through the core.
 *
 * <p>The Functions host receives, decodes (Base64) and hands over one message at a time, and deletes it when this
 * function returns. A transient failure is thrown, so the host makes the message visible again after host.json's
 * {@code extensions.queues.visibilityTimeout} and tries again, up to its {@code maxDequeueCount}. A permanent failure
 * (and the last transient one) is written to {@code <queue>-poison} with its reason through the output binding, and
 * the function returns, so no retry is burnt on a message that cannot succeed. Set BRIDGE_QUEUE_MAX_DEQUEUE_COUNT to
 * host.json's maxDequeueCount, so that the last try is the bridge's and its poison entry carries the reason; after a
 * lower host.json count, the host moves the bare message there itself.
 */
public final class QueueDeliveryFunction {

    private final Supplier<QueueDelivery> delivery;

    public QueueDeliveryFunction() {
        this(DELIVERY);
    }

    QueueDeliveryFunction(Supplier<QueueDelivery> delivery) {
        this.delivery = Objects.requireNonNull(delivery, "delivery");
    }

    @FunctionName("deliver")
    public void deliver(
            @QueueTrigger(name = "item", queueName = "%BRIDGE_QUEUE_NAME%", connection = "BRIDGE_QUEUE_CONNECTION")
            String item,
            @BindingName("DequeueCount") long dequeueCount,
            @QueueOutput(name = "poison", queueName = "%BRIDGE_QUEUE_NAME%" + Settings.POISON_SUFFIX,
                    connection = "BRIDGE_QUEUE_CONNECTION")
            OutputBinding<String> poison,
            final ExecutionContext context) {
        QueueDelivery.Outcome outcome = delivery.get().deliver(item, dequeueCount);
        if (outcome instanceof QueueDelivery.Retry retry) {
            throw retry.failure(); // the host tries again after its visibilityTimeout
        }
        if (outcome instanceof QueueDelivery.Poison p) {
            poison.setValue(p.entry());
        }
    }

    /**
     * The delivery of this Function instance. It has its own forwarding core: in durable mode the HTTP function only
     * queues, so this is the one sender of the instance; after a delivery it makes the downlink request the message's
     * sender offered (docs/commands.md), with the route's transforms. A start that fails fails every invocation (the
     * host retries, then moves the message to the poison queue: nothing is lost).
     */
    private static final StartOnce<QueueDelivery> DELIVERY = new StartOnce<>("queue delivery", settings -> {
        EventLoops loops = EventLoops.create();
        IotHubSender sender = IotHubSender.create(settings, loops);
        return QueueDelivery.of(sender, QueueOptions.from(settings), Clock.systemUTC())
                .withDownlinks(BridgeRuntime.afterDelivery(BridgeRuntime.openTransforms(settings, false),
                        BridgeRuntime.downlinks(settings, sender, loops)));
    });
}
