package dev.iotcbridge.bridge;

import dev.iotcbridge.config.Settings;
import dev.iotcbridge.iot.IotHubSender;
import dev.iotcbridge.iot.TelemetrySender;
import dev.iotcbridge.transform.JqTransformCatalog;
import java.nio.file.Path;
import dev.iotcbridge.transform.TransformCatalog;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything one bridge process holds, built once from the settings: the compiled transforms, the
 * forwarding core with its clients and caches, and the handler over them. Both adapters (the Azure Function
 * and the local server) start one and share it across every call.
 */
public final class BridgeRuntime implements AutoCloseable {

    private final Settings settings;
    private final TransformCatalog transforms;
    private final TelemetrySender sender;
    private final ExecutorService workers;
    private final WebhookHandler handler;

    public BridgeRuntime(Settings settings, TransformCatalog transforms, TelemetrySender sender) {
        this.settings = settings;
        this.transforms = transforms;
        this.sender = sender;
        this.workers = Executors.newCachedThreadPool(daemonThreads("bridge-worker-"));
        this.handler = new WebhookHandler(settings, transforms, sender, workers);
    }

    /**
     * Builds the runtime the adapters share: transforms compiled from the configured folder, and the forwarding core.
     *
     * @param reload recompile a transform when its file changes (the local server; a Function App is redeployed instead)
     */
    public static BridgeRuntime start(Settings settings, boolean reload) {
        TransformCatalog transforms = openTransforms(settings, reload);
        try {
            return new BridgeRuntime(settings, transforms, IotHubSender.create(settings));
        } catch (RuntimeException e) {
            transforms.close();
            throw e;
        }
    }

    /** The transforms of the configured folder, or of the folder shipped with the package. */
    public static TransformCatalog openTransforms(Settings settings, boolean reload) {
        Path folder = TransformsFolder.resolve(settings.transformsDir());
        return JqTransformCatalog.load(folder, settings);
    }

    public Settings settings() {
        return settings;
    }

    public WebhookHandler handler() {
        return handler;
    }

    public TransformCatalog transforms() {
        return transforms;
    }

    /** Threads for work that blocks on the hub: unbounded on purpose, since a cap would queue webhooks behind slow hubs. */
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
        workers.shutdownNow();
        sender.close();
        transforms.close();
    }
}
