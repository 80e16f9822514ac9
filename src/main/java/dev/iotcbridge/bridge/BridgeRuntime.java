package dev.iotcbridge.bridge;

import dev.iotcbridge.config.Settings;
import dev.iotcbridge.downlink.DownlinkStep;
import dev.iotcbridge.downlink.QueuedDownlink;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.queue.QueueDelivery;
import dev.iotcbridge.queue.QueueOptions;
import java.util.List;
import dev.iotcbridge.iot.IotHubSender;
import dev.iotcbridge.iot.TelemetrySender;
import dev.iotcbridge.net.EventLoops;
import dev.iotcbridge.queue.DeliveryWorker;
import dev.iotcbridge.queue.QueueConnection;
import dev.iotcbridge.queue.QueueIntake;
import dev.iotcbridge.queue.QueueItems;
import dev.iotcbridge.transform.JqTransformCatalog;
import dev.iotcbridge.transform.ReloadingTransformCatalog;
import dev.iotcbridge.transform.TransformCatalog;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything one bridge process holds, built once from the settings: the compiled transforms, the
 * forwarding core with its clients and caches, in durable mode the queue, and the handler over them. Both
 * adapters (the Azure Function and the local server) start one and share it across every call.
 */
public final class BridgeRuntime implements AutoCloseable {

    private final Settings settings;
    private final EventLoops loops;
    private final TransformCatalog transforms;
    private final TelemetrySender sender;
    private final ExecutorService workers;
    private final Optional<DeliveryWorker> deliveryWorker;
    private final WebhookHandler handler;

    private static final TelemetrySender QUEUE_ONLY = (message, budget) -> {
        throw new IllegalStateException("in durable mode the HTTP function queues messages and never sends them");
    };

    public BridgeRuntime(Settings settings, TransformCatalog transforms, TelemetrySender sender) {
        this(settings, EventLoops.create(), transforms, sender, Optional.empty(), Optional.empty(), Optional.empty());
    }

    private BridgeRuntime(Settings settings, EventLoops loops, TransformCatalog transforms, TelemetrySender sender,
                          Optional<MessageIntake> intake, Optional<DeliveryWorker> deliveryWorker,
                          Optional<DownlinkStep> downlinks) {
        this.settings = settings;
        this.loops = loops;
        this.transforms = transforms;
        this.sender = sender;
        this.deliveryWorker = deliveryWorker;
        this.workers = Executors.newCachedThreadPool(daemonThreads("bridge-worker-"));
        this.handler = new WebhookHandler(settings, transforms, sender, workers, intake, downlinks);
    }

    /**
     * Builds the runtime the adapters share.
     *
     * @param local the local server: transforms reload when their files change, and in durable mode this process
     *              also delivers what is queued (on Azure the queue-triggered function does, and apps are redeployed)
     */
    public static BridgeRuntime start(Settings settings, boolean local) {
        TransformCatalog transforms = openTransforms(settings, local);
        EventLoops loops = EventLoops.create();
        TelemetrySender sender = null;
        try {
            if (!settings.durable()) {
                IotHubSender hub = IotHubSender.create(settings, loops);
                sender = hub;
                return new BridgeRuntime(settings, loops, transforms, sender, Optional.empty(), Optional.empty(),
                        Optional.of(downlinks(settings, hub, loops)));
            }
            // durable mode: the HTTP side only queues; the local worker (or, on Azure, the queue-triggered function) sends,
            // and makes the downlink requests the senders offered
            QueueConnection queue = QueueConnection.open(settings);
            QueueIntake intake = new QueueIntake(queue.queue(), new QueueItems(Clock.systemUTC()));
            Optional<DeliveryWorker> worker = Optional.empty();
            if (local) {
                IotHubSender hub = IotHubSender.create(settings, loops);
                sender = hub;
                QueueDelivery delivery = QueueDelivery.of(hub, QueueOptions.from(settings), Clock.systemUTC())
                        .withDownlinks(afterDelivery(transforms, downlinks(settings, hub, loops)));
                worker = Optional.of(DeliveryWorker.create(queue, delivery, settings).start());
            } else {
                sender = QUEUE_ONLY;
            }
            MessageIntake queued = new MessageIntake() {
                @Override
                public List<String> enqueue(String route, List<DeviceMessage> messages) {
                    return intake.enqueue(route, messages);
                }

                @Override
                public List<String> enqueue(String route, List<DeviceMessage> messages, List<Optional<QueuedDownlink>> downlinks) {
                    return intake.enqueue(route, messages, downlinks);
                }
            };
            return new BridgeRuntime(settings, loops, transforms, sender, Optional.of(queued), worker, Optional.empty());
        } catch (RuntimeException e) {
            if (sender != null) {
                sender.close();
            }
            loops.close();
            transforms.close();
            throw e;
        }
    }

    /**
     * Durable mode's downlink after a delivery: the route's transform (for its mapping and hosts) and the step, on the
     * worker's thread, within the delivery's budget.
     */
    public static QueueDelivery.Downlinks afterDelivery(TransformCatalog transforms, DownlinkStep step) {
        return (item, budget) -> transforms.find(item.route()).ifPresent(route ->
                step.afterDelivery(route, item.downlink().orElseThrow(), budget, WORKER_LOG).join());
    }

    private static final java.util.logging.Logger WORKER_LOG = java.util.logging.Logger.getLogger(QueueDelivery.class.getName());

    /** Commands on downlinks (docs/commands.md), over the sender's hub links, connections and event loops. */
    public static DownlinkStep downlinks(Settings settings, IotHubSender hub, EventLoops loops) {
        return DownlinkStep.builder(settings, hub.cloudToDevice(), loops).build();
    }

    /** The transforms of the configured folder, or of the folder shipped with the package. */
    public static TransformCatalog openTransforms(Settings settings, boolean reload) {
        Path folder = TransformsFolder.resolve(settings.transformsDir());
        return reload ? ReloadingTransformCatalog.watch(folder, settings) : JqTransformCatalog.load(folder, settings);
    }

    public Settings settings() {
        return settings;
    }

    public WebhookHandler handler() {
        return handler;
    }

    /** The I/O threads the hub client runs on; the local server serves on the same ones. */
    public EventLoops eventLoops() {
        return loops;
    }

    public TransformCatalog transforms() {
        return transforms;
    }

    /** Threads for work that blocks (durable mode's queue writes): unbounded on purpose, so that nothing queues behind a slow one. */
    public ExecutorService workers() {
        return workers;
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        deliveryWorker.ifPresent(DeliveryWorker::close);
        workers.shutdownNow();
        sender.close();
        loops.close();
        transforms.close();
    }
}
