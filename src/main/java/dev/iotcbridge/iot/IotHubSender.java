package dev.iotcbridge.iot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.error.TryLaterException;
import dev.iotcbridge.net.EventLoops;
import dev.iotcbridge.net.PooledHttpClient;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import javax.net.ssl.X509TrustManager;

/**
 * The forwarding core: device link (cache, or DPS provisioning), IoT Hub send-event, and the {@link FailurePolicy}
 * carried out within the caller's time budget. Thread-safe; one instance per process, shared by all webhook calls.
 *
 * <p>Two lanes. The hot one ({@link #sendAsync} for a cached device) is one request on the event loop the caller runs
 * on, and nothing else: no thread, no lock, no wait. Everything that may wait (a DPS registration, a back-off, a
 * re-provisioning after the hub refused) runs the whole policy on the slow lane's threads, starting from what the
 * hot lane saw, so a failed first attempt is never sent twice. DPS is called with OkHttp (blocking, and rare); the
 * hub with {@link PooledHttpClient} on the shared {@link EventLoops}.
 *
 * <p>Production: {@code IotHubSender.create(settings)}. Tests: {@code IotHubSender.builder(options)} with an injected
 * clock, ticker, sleeper and (optionally) OkHttp client.
 */
public final class IotHubSender implements TelemetrySender {

    private static final Logger LOG = Logger.getLogger(IotHubSender.class.getName());

    private final IotOptions options;
    private final InstantSource clock;
    private final Ticker ticker;
    private final Sleeper sleeper;
    private final Scheduler scheduler;
    private final ScheduledExecutorService ownScheduler;
    private final OkHttpClient http;
    private final boolean ownsHttp;
    private final EventLoops loops;
    private final boolean ownsLoops;
    private final ExecutorService slowLane;
    private final HubClient hub;
    private final DeviceLinks links;
    private final CloudToDevice cloudToDevice;

    private IotHubSender(Builder b) {
        this.options = b.options;
        this.clock = b.clock;
        this.ticker = b.ticker;
        this.sleeper = b.sleeper;
        this.ownScheduler = b.scheduler == null ? Executors.newSingleThreadScheduledExecutor(
                new DefaultThreadFactory("bridge-timer", true)) : null;
        this.scheduler = b.scheduler != null ? b.scheduler : Scheduler.of(ownScheduler);
        this.ownsHttp = b.http == null;
        this.http = b.http != null ? b.http : httpClient(options);
        this.ownsLoops = b.loops == null;
        this.loops = b.loops != null ? b.loops : EventLoops.create();
        this.slowLane = slowLane();
        ObjectMapper json = new ObjectMapper();
        PooledHttpClient hubHttp = new PooledHttpClient(loops, b.hubTrust, options.connectTimeout(),
                options.maxIdleConnections(), Duration.ofMinutes(2), MAX_ERROR_BODY);
        this.hub = new HubClient(hubHttp, clock, options.tokenTtl().toSeconds(), options.readTimeout().toNanos(), json);
        DpsClient dps = new DpsClient(http, options, clock, scheduler, json);
        this.links = new DeviceLinks(new Provisioner(dps, options, scheduler, ticker), options, ticker, scheduler);
        this.cloudToDevice = new CloudToDevice(hubHttp, links, clock, options.tokenTtl().toSeconds(), options.hubApiVersion(), json);
    }

    /** How much of a hub's error answer is read: its JSON error description is far shorter. */
    private static final int MAX_ERROR_BODY = 16 * 1024;
    private static final CompletableFuture<Void> SENT = CompletableFuture.completedFuture(null);

    /** The production sender: system clock and sleeper, its own pooled OkHttp client and event loops. */
    public static IotHubSender create(Settings settings) {
        return builder(IotOptions.from(settings)).build();
    }

    /** The production sender on event loops shared with the local server (their owner closes them). */
    public static IotHubSender create(Settings settings, EventLoops loops) {
        return builder(IotOptions.from(settings)).eventLoops(loops).build();
    }

    public static Builder builder(IotOptions options) {
        return new Builder(options);
    }

    /**
     * One client for DPS and every hub, so connections are reused across calls. Sized for high concurrency: OkHttp's
     * default pool keeps 5 idle connections, which would close and reopen TLS connections under load. Connect is
     * short (an unreachable hub means "re-provision", and the whole call has a 4 s budget); each call also gets its
     * remaining budget as call timeout. No redirects: Azure sends none, and a redirect must not carry a token.
     */
    static OkHttpClient httpClient(IotOptions o) {
        return new OkHttpClient.Builder()
                .connectionPool(new ConnectionPool(o.maxIdleConnections(), 2, TimeUnit.MINUTES))
                .connectTimeout(o.connectTimeout())
                .readTimeout(o.readTimeout())
                .writeTimeout(o.readTimeout())
                .followRedirects(false)
                .followSslRedirects(false)
                .build();
    }

    /**
     * The slow lane's threads: made on demand, as many as calls wait at once (a cap here would be a cap on how
     * many new devices register at once, which {@link DeviceLinks} already bounds), gone after a minute idle.
     */
    private static ExecutorService slowLane() {
        return Executors.newCachedThreadPool(new DefaultThreadFactory("bridge-slow", true));
    }

    @Override
    public void send(DeviceMessage message, Duration budget) {
        deliver(message, Deadline.after(ticker, budget), links.cached(message.deviceId()), null);
    }

    @Override
    public CompletableFuture<Void> sendAsync(DeviceMessage message, Duration budget) {
        Deadline deadline = Deadline.after(ticker, budget);
        DeviceLink link = links.cached(message.deviceId());
        if (link == null) {
            // a new device waits for its registration without a thread of its own: 1,000 new devices at once are
            // 1,000 futures on the registration threads, not 1,000 blocked threads
            return links.linkAsync(message.deviceId(), message.modelId(), deadline).thenCompose(provisioned -> {
                if (deadline.expired()) {
                    throw outOfTime(message.deviceId(), "before IoT Hub accepted the message", options.pendingRetryAfter());
                }
                return send(provisioned, message, deadline);
            });
        }
        return send(link, message, deadline);
    }

    /** One attempt on the fast lane; anything but a 2xx goes on, from that reply, on the slow lane. */
    private CompletableFuture<Void> send(DeviceLink link, DeviceMessage message, Deadline deadline) {
        return hub.send(link, message, deadline).thenCompose(reply -> reply.status() >= 200 && reply.status() < 300
                ? SENT
                : CompletableFuture.runAsync(() -> deliver(message, deadline, link, reply), slowLane));
    }

    /**
     * The whole policy, blocking: provision when there is no link, send, and act on the reply until the hub accepts
     * or a decision ends it.
     *
     * @param first what an attempt already made with {@code link} got, or null when none was made
     */
    private void deliver(DeviceMessage message, Deadline deadline, DeviceLink link, HubReply first) {
        String deviceId = message.deviceId();
        DeviceLink failed = null;
        boolean reprovisioned = false;
        HubReply pending = first;
        for (int retries = 0; ; ) {
            HubReply reply;
            if (pending != null) {
                reply = pending;
                pending = null;
            } else {
                if (link == null) {
                    link = links.link(deviceId, message.modelId(), failed, deadline);
                }
                if (deadline.expired()) {
                    throw outOfTime(deviceId, "before IoT Hub accepted the message", options.pendingRetryAfter());
                }
                reply = hub.send(link, message, deadline).join();
                if (reply.status() >= 200 && reply.status() < 300) {
                    return;
                }
            }
            if (!reply.reached() && deadline.expired()) {
                // the call's own budget cut the request short: that says nothing about the hub
                throw outOfTime(deviceId, "waiting for IoT Hub", options.pendingRetryAfter());
            }
            FailurePolicy.Decision d = FailurePolicy.decide(reply, reprovisioned, clock.instant());
            LOG.log(Level.FINE, "device {0}: {1} -> {2}", new Object[] {deviceId, reply.detail(), d.action()});
            switch (d.action()) {
                case DELIVERED -> {
                    return;
                }
                case REPROVISION -> {
                    LOG.log(Level.INFO, "device {0}: hub {1} gave {2}; re-provisioning through DPS",
                            new Object[] {deviceId, link.hub, reply.detail()});
                    failed = link;
                    link = null;
                    reprovisioned = true;
                }
                case RETRY -> {
                    Duration wait = reply.retryAfter() != null ? reply.retryAfter() : backoff(retries);
                    if (!deadline.allows(wait)) {
                        throw new TryLaterException(503, d.reason() + "; retry in " + BridgeException.wholeSeconds(wait) + " s",
                                Duration.ofSeconds(BridgeException.wholeSeconds(wait)));
                    }
                    pause(wait, deviceId);
                    retries++;
                }
                case GIVE_UP -> throw new TryLaterException(503, d.reason(), Duration.ofSeconds(BridgeException.wholeSeconds(d.retryAfter())));
                case REFUSE -> throw links.refuse(deviceId, link, d.reason() + " (device " + deviceId + ")");
                case REJECT -> throw new BadInputException(d.status(), d.reason() + " for device " + deviceId);
                case FAIL -> throw new BridgeFaultException(502, d.reason() + " for device " + deviceId, reply.failure());
            }
        }
    }

    /** Exponential back-off from {@code retryBase}, capped at {@code retryCap}, with jitter in its upper half. */
    private Duration backoff(int retries) {
        long base = options.retryBase().toMillis() << Math.min(retries, 10);
        long capped = Math.min(base, options.retryCap().toMillis());
        return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
    }

    private void pause(Duration wait, String deviceId) {
        try {
            sleeper.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TryLaterException(503, "interrupted while retrying device " + deviceId, options.pendingRetryAfter());
        }
    }

    private static TryLaterException outOfTime(String deviceId, String when, Duration retryAfter) {
        return new TryLaterException(503, "the time budget of the call ran out " + when + " (device " + deviceId
                + "); retry in " + retryAfter.toSeconds() + " s", retryAfter);
    }


    /** Devices with a cached link (after pending evictions). */
    public long cachedDevices() {
        return links.size();
    }

    DeviceLinks links() {
        return links;
    }

    /** The devices' cloud-to-device queues, over this sender's hub connections and links (commands on downlinks). */
    public CloudToDevice cloudToDevice() {
        return cloudToDevice;
    }

    @Override
    public void close() {
        links.close();
        slowLane.shutdownNow();
        if (ownScheduler != null) {
            ownScheduler.shutdownNow();
        }
        if (ownsLoops) {
            loops.close();
        }
        if (ownsHttp) {
            http.dispatcher().executorService().shutdown();
            http.connectionPool().evictAll();
        }
    }

    /** Builds a sender with injected time and transport, for tests and the simulator. */
    public static final class Builder {
        private final IotOptions options;
        private InstantSource clock = InstantSource.system();
        private Ticker ticker = Ticker.systemTicker();
        private Sleeper sleeper = Sleeper.SYSTEM;
        private Scheduler scheduler;
        private OkHttpClient http;
        private EventLoops loops;
        private X509TrustManager hubTrust;

        private Builder(IotOptions options) {
            this.options = Objects.requireNonNull(options, "options");
        }

        /** Wall-clock time: token expiry ({@code se}), Retry-After dates, the quota's UTC day. */
        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        /** Elapsed time: call budgets, registration deadlines, cache expiry and back-off windows. */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker);
            return this;
        }

        /** Waits between DPS polls and before retries. */
        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper);
            return this;
        }

        /**
         * Where retries, back-offs, DPS polls and budget ends wait, on the same time as {@link #ticker}. Default: one
         * timer thread of the sender's own.
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler);
            return this;
        }

        /** A client to share; the sender then leaves closing it to its owner. Default: {@link #httpClient}'s. */
        public Builder httpClient(OkHttpClient http) {
            this.http = Objects.requireNonNull(http);
            return this;
        }

        /** The event loops to send to hubs on (the local server's, so a webhook never changes thread); closed by their owner. */
        public Builder eventLoops(EventLoops loops) {
            this.loops = Objects.requireNonNull(loops);
            return this;
        }

        /** The certificates a hub's must chain to. Default: the JVM's trust store, as for Azure's hubs. */
        public Builder hubTrust(X509TrustManager trust) {
            this.hubTrust = Objects.requireNonNull(trust);
            return this;
        }

        public IotHubSender build() {
            return new IotHubSender(this);
        }
    }
}
