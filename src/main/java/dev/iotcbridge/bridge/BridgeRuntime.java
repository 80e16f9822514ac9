package dev.iotcbridge.bridge;

import dev.iotcbridge.config.Settings;
import dev.iotcbridge.downlink.DownlinkStep;
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
            // durable mode: the HTTP side only queues; the local worker (or, on Azure, the queue-triggered function) sends
            sender = local ? IotHubSender.create(settings, loops) : QUEUE_ONLY;
            QueueConnection queue = QueueConnection.open(settings);
            QueueIntake intake = new QueueIntake(queue.queue(), new QueueItems(Clock.systemUTC()));
            Optional<DeliveryWorker> worker = local
                    ? Optional.of(DeliveryWorker.create(queue, sender, settings).start())
                    : Optional.empty();
            return new BridgeRuntime(settings, loops, transforms, sender, Optional.of(intake::enqueue), worker, Optional.empty());
        } catch (RuntimeException e) {
            if (sender != null) {
                sender.close();
            }
            loops.close();
            transforms.close();
            throw e;
        }
    }

    /** Commands on downlinks (docs/commands.md), over the sender's hub links, connections and event loops. */
    static DownlinkStep downlinks(Settings settings, IotHubSender hub, EventLoops loops) {
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
