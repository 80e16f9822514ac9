package dev.iotcbridge.iot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.error.Completion;
import dev.iotcbridge.error.TryLaterException;
import dev.iotcbridge.net.EventLoops;
import dev.iotcbridge.net.PooledHttpClient;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import javax.net.ssl.X509TrustManager;

/**
 * The forwarding core: device link (cache, or DPS provisioning), IoT Hub send-event, and the {@link FailurePolicy}
 * carried out within the caller's time budget. Thread-safe; one instance per process, shared by all webhook calls.
 *
 * <p>Two lanes, neither holding a thread while it waits. The hot one ({@link #sendAsync} for a cached device) is one
 * request on the event loop the caller runs on, and nothing else: no thread, no lock, no wait. Everything that may
 * wait (a DPS registration, a back-off, a re-provisioning after the hub refused) goes on from what the hot lane saw,
 * so a failed first attempt is never sent twice, as a chain of futures: each next attempt is a task on the injected
 * {@link Scheduler}, so a throttling storm costs timers, not threads. At most {@link FailurePolicy#MAX_ATTEMPTS}
 * sends per call, with exponential back-off and full jitter ({@link Backoff}); a device re-registered after a hub
 * failure is not registered again within its {@link ReprovisionWindow}. The hub is called with
 * {@link PooledHttpClient} on the shared {@link EventLoops}; DPS through {@link DeviceLinks}.
 *
 * <p>Production: {@code IotHubSender.create(settings)}. Tests: {@code IotHubSender.builder(options)} with an injected
 * clock, ticker, scheduler, randomness and (optionally) OkHttp client.
 */
public final class IotHubSender implements TelemetrySender {

    private static final Logger LOG = Logger.getLogger(IotHubSender.class.getName());

    private final IotOptions options;
    private final InstantSource clock;
    private final Ticker ticker;
    private final Scheduler scheduler;
    private final ScheduledExecutorService ownScheduler;
    private final OkHttpClient http;
    private final boolean ownsHttp;
    private final EventLoops loops;
    private final boolean ownsLoops;
    private final HubClient hub;
    private final DeviceLinks links;
    private final ReprovisionWindow window;
    private final Backoff backoff;
    /**
     * How long the callers of a device whose window's hub keeps failing are asked to wait between calls: 2 s, doubling
     * with each such call, at most 16 s, with full jitter so that a fleet's retries spread out (the device-reconnection
     * guidance, docs/azure-protocol.md §3.7).
     */
    private final Backoff callBackoff;
    private final FleetCounters fleet;
    private final CloudToDevice cloudToDevice;

    private IotHubSender(Builder b) {
        this.options = b.options;
        this.clock = b.clock;
        this.ticker = b.ticker;
        this.ownScheduler = b.scheduler == null ? Executors.newSingleThreadScheduledExecutor(
                new DefaultThreadFactory("bridge-timer", true)) : null;
        this.scheduler = b.scheduler != null ? b.scheduler : Scheduler.of(ownScheduler);
        this.ownsHttp = b.http == null;
        this.http = b.http != null ? b.http : httpClient(options);
        this.ownsLoops = b.loops == null;
        this.loops = b.loops != null ? b.loops : EventLoops.create();
        ObjectMapper json = new ObjectMapper();
        PooledHttpClient hubHttp = new PooledHttpClient(loops, b.hubTrust, options.connectTimeout(),
                options.maxIdleConnections(), Duration.ofMinutes(2), MAX_ERROR_BODY);
        this.hub = new HubClient(hubHttp, clock, options.tokenTtl().toSeconds(), options.readTimeout().toNanos(), json);
        DpsClient dps = new DpsClient(http, options, clock, scheduler, json);
        this.fleet = b.fleet != null ? b.fleet : FleetCounters.global();
        this.window = new ReprovisionWindow(options.reprovisionWindow(), options.deviceCacheSize(), ticker);
        this.backoff = new Backoff(options.retryBase(), options.retryCap(), b.random);
        this.callBackoff = callBackoff(b.random);
        this.links = new DeviceLinks(new Provisioner(dps, options, scheduler, ticker, fleet), options, ticker, scheduler, window,
                callBackoff);
        this.cloudToDevice = new CloudToDevice(hubHttp, links, clock, options.tokenTtl().toSeconds(), options.hubApiVersion(), json);
    }

    /** How much of a hub's error answer is read: its JSON error description is far shorter. */
    private static final int MAX_ERROR_BODY = 16 * 1024;
    static final Duration CALL_BACKOFF_FIRST = Duration.ofSeconds(2);
    static final Duration CALL_BACKOFF_MAX = Duration.ofSeconds(16);

    /** The device's call back-off, {@link #CALL_BACKOFF_FIRST} doubling to {@link #CALL_BACKOFF_MAX}, jittered. */
    static Backoff callBackoff(java.util.random.RandomGenerator random) {
        return new Backoff(CALL_BACKOFF_FIRST, CALL_BACKOFF_MAX, random);
    }
    private static final CompletableFuture<Void> SENT = CompletableFuture.completedFuture(null);
    /**
     * No retry (a send after one that failed, or after a re-provisioning) is started with less of the budget left
     * (nor a quarter of the budget, for budgets under 2 s, so that a short budget still has room for one). A send the
     * budget cuts short may still have reached the hub while the caller is told 503, so the caller's retry would
     * deliver the message twice; half a second covers an answer from a hub in another region under load (tens to a
     * few hundred ms). A message's first send is made with whatever is left: skipping it would be a certain 503, and
     * senders that never retry (The Things Stack, ChirpStack) would lose the first message of a device whose
     * registration took most of the budget.
     */
    static final Duration MIN_ATTEMPT_TIME = Duration.ofMillis(500);

    /** {@link #MIN_ATTEMPT_TIME}, or a quarter of a budget under 2 s. */
    static Duration minAttemptTime(Duration budget) {
        Duration quarter = budget.dividedBy(4);
        return quarter.compareTo(MIN_ATTEMPT_TIME) < 0 ? quarter : MIN_ATTEMPT_TIME;
    }

    /** The production sender: system clock, its own timer thread, its own pooled OkHttp client and event loops. */
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

    @Override
    public void send(DeviceMessage message, Duration budget) {
        try {
            sendAsync(message, budget).join();
        } catch (CompletionException e) {
            Throwable cause = Completion.cause(e);
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new BridgeFaultException("sending for device " + message.deviceId() + " failed inside the bridge", cause);
        }
    }

    @Override
    public CompletableFuture<Void> sendAsync(DeviceMessage message, Duration budget) {
        Deadline deadline = Deadline.after(ticker, budget);
        DeviceLink link = links.cached(message.deviceId());
        if (link == null) {
            // a new device waits for its registration without a thread of its own: 1,000 new devices at once are
            // 1,000 futures on the registration threads, not 1,000 blocked threads
            return links.linkAsync(message.deviceId(), message.modelId(), null, deadline)
                    .thenCompose(provisioned -> new Delivery(message, budget, deadline).attempt(provisioned));
        }
        // the hot lane: one request, and a 2xx ends it; anything else is carried on from that reply, never sent twice
        return hub.send(link, message, deadline).thenCompose(reply -> {
            if (reply.status() >= 200 && reply.status() < 300) {
                window.delivered(message.deviceId());
                return SENT;
            }
            return new Delivery(message, budget, deadline).carryOn(link, reply);
        });
    }

    /**
     * One message's way through the {@link FailurePolicy}, without a thread of its own: each send is a
     * {@link PooledHttpClient} future, each re-registration a {@link DeviceLinks#linkAsync} future, each back-off a
     * task on the {@link Scheduler}. Whatever thread completes a step (an event loop, a registration thread, the timer)
     * takes the next decision; each step is short and never blocks. Not shared: one per call that needs more than one
     * attempt, so its counters need no lock (each step happens after the one before).
     */
    private final class Delivery {

        private final DeviceMessage message;
        private final Deadline deadline;
        /** The least of the budget a retry is started with. */
        private final Duration minAttempt;
        private final CompletableFuture<Void> result = new CompletableFuture<>();
        /** Sends of the message in this call so far. */
        private int attempts;
        /** Whether this call re-registered the device: at most once per call, whatever the window says. */
        private boolean reprovisioned;

        Delivery(DeviceMessage message, Duration budget, Deadline deadline) {
            this.message = message;
            this.deadline = deadline;
            this.minAttempt = minAttemptTime(budget);
        }

        /** From the first send with {@code link}. */
        CompletableFuture<Void> attempt(DeviceLink link) {
            send(link);
            return result;
        }

        /** From what the hot lane's send with {@code link} got: that send counts, and is not made again. */
        CompletableFuture<Void> carryOn(DeviceLink link, HubReply reply) {
            attempts = 1;
            step(() -> decide(link, reply));
            return result;
        }

        private void send(DeviceLink link) {
            step(() -> {
                if (attempts == 0 ? deadline.expired() : !deadline.allows(minAttempt)) {
                    throw outOfTime(message.deviceId(), "before IoT Hub accepted the message", options.pendingRetryAfter());
                }
                attempts++;
                hub.send(link, message, deadline).whenComplete((reply, failure) -> step(() -> {
                    if (failure != null) {
                        throw failure instanceof RuntimeException r ? r : new CompletionException(failure);
                    }
                    decide(link, reply);
                }));
            });
        }

        /** The call ends 503; a window's hub that failed it makes the device's next Retry-After longer. */
        private TryLaterException endedFailing(FailurePolicy.Decision d, FailurePolicy.History h) {
            if (h.freshLink()) {
                window.callFailed(message.deviceId());
            }
            return tryLater(d, message.deviceId());
        }

        private void decide(DeviceLink link, HubReply reply) {
            String deviceId = message.deviceId();
            if (reply.status() >= 200 && reply.status() < 300) {
                window.delivered(deviceId);
                result.complete(null);
                return;
            }
            if (!reply.reached() && deadline.expired()) {
                // the call's own budget cut the request short: that says nothing about the hub
                throw outOfTime(deviceId, "waiting for IoT Hub", options.pendingRetryAfter());
            }
            Duration windowLeft = window.left(deviceId);
            FailurePolicy.History history = new FailurePolicy.History(reprovisioned, windowLeft, attempts,
                    backoff.ceiling(attempts), windowLeft.isZero() ? Duration.ZERO
                            : callBackoff.delay(window.failedCalls(deviceId) + 1L));
            FailurePolicy.Decision d = FailurePolicy.decide(reply, history, clock.instant());
            LOG.log(Level.FINE, "device {0}: {1} -> {2} (attempt {3})",
                    new Object[] {deviceId, reply.detail(), d.action(), attempts});
            switch (d.action()) {
                case DELIVERED -> {
                    window.delivered(deviceId);
                    result.complete(null);
                }
                case REPROVISION -> {
                    LOG.log(Level.INFO, "device {0}: hub {1} gave {2}; re-provisioning through DPS",
                            new Object[] {deviceId, link.hub, reply.detail()});
                    reprovisioned = true;
                    links.linkAsync(deviceId, message.modelId(), link, deadline).whenComplete((fresh, failure) -> step(() -> {
                        if (failure != null) {
                            // DeviceLinks answers a 503 that leaves the device its link with the call back-off's Retry-After
                            Throwable cause = Completion.cause(failure);
                            throw cause instanceof RuntimeException r ? r : new CompletionException(failure);
                        }
                        // DeviceLinks opened it where a re-provisioning ended; a fresh link a cold caller's registration made opens it here
                        window.open(deviceId);
                        send(fresh);
                    }));
                }
                case RETRY -> {
                    Duration wait = backoff.delay(attempts, reply.retryAfter());
                    if (!deadline.allows(wait.plus(minAttempt))) {
                        throw endedFailing(d, history);
                    }
                    // another call may have re-registered the device meanwhile: retry on the link the cache has now
                    DeviceLink current = links.cached(deviceId);
                    DeviceLink next = current != null ? current : link;
                    scheduler.schedule(wait, () -> send(next));
                }
                case GIVE_UP -> throw endedFailing(d, history);
                case REFUSE -> throw links.refuse(deviceId, link, d.reason() + " (device " + deviceId + ")");
                case REJECT -> throw new BadInputException(d.status(), d.reason() + " for device " + deviceId);
                case FAIL -> throw new BridgeFaultException(502, d.reason() + " for device " + deviceId, reply.failure());
            }
        }

        /**
         * Runs one step; whatever it throws ends the call with that answer. Anything that is not one of the bridge's
         * answers is a fault of the bridge (a scheduler that was shut down: the sender is closing, try later).
         */
        private void step(ThrowingStep body) {
            try {
                body.run();
            } catch (BridgeException e) {
                result.completeExceptionally(e);
            } catch (RejectedExecutionException e) {
                result.completeExceptionally(new TryLaterException(503, "the bridge is shutting down; retry device "
                        + message.deviceId() + " in " + options.pendingRetryAfter().toSeconds() + " s", options.pendingRetryAfter()));
            } catch (Throwable e) {
                Throwable cause = Completion.cause(e);
                result.completeExceptionally(cause instanceof BridgeException b ? b
                        : new BridgeFaultException("sending for device " + message.deviceId() + " failed inside the bridge", cause));
            }
        }
    }

    @FunctionalInterface
    private interface ThrowingStep {
        void run() throws Throwable;
    }

    private static TryLaterException tryLater(FailurePolicy.Decision d, String deviceId) {
        long seconds = BridgeException.wholeSeconds(d.retryAfter());
        return new TryLaterException(503, d.reason() + " (device " + deviceId + "); retry in " + seconds + " s",
                Duration.ofSeconds(seconds));
    }

    private static TryLaterException outOfTime(String deviceId, String when, Duration retryAfter) {
        return new TryLaterException(503, "the time budget of the call ran out " + when + " (device " + deviceId
                + "); retry in " + retryAfter.toSeconds() + " s", retryAfter);
    }


    @Override
    public FleetCounters.Counts drainFleet() {
        return fleet.drain();
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
        private Scheduler scheduler;
        /** Per thread: the jitter is drawn on event loops and timers at once, and needs no shared state. */
        private RandomGenerator random = () -> ThreadLocalRandom.current().nextLong();
        private FleetCounters fleet;
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


        /**
         * Where hub retries and back-offs wait (and DPS polls, as DeviceLinks moves onto it), on the same time as
         * {@link #ticker}. Default: one timer thread of the sender's own.
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler);
            return this;
        }

        /** The back-off's jitter (full jitter between zero and the exponential ceiling); tests choose the draw. */
        public Builder random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random);
            return this;
        }

        /** Where the sender counts what it does to DPS and the hubs. Default: {@link FleetCounters#global()}. */
        public Builder fleetCounters(FleetCounters fleet) {
            this.fleet = Objects.requireNonNull(fleet);
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
