package dev.iotcbridge.iot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.error.TryLaterException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;

/**
 * The forwarding core: device link (cache, or DPS provisioning), IoT Hub send-event, and the {@link FailurePolicy}
 * carried out within the caller's time budget. Thread-safe; one instance per process, shared by all webhook calls.
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
    private final OkHttpClient http;
    private final boolean ownsHttp;
    private final HubClient hub;
    private final DeviceLinks links;

    private IotHubSender(Builder b) {
        this.options = b.options;
        this.clock = b.clock;
        this.ticker = b.ticker;
        this.sleeper = b.sleeper;
        this.ownsHttp = b.http == null;
        this.http = b.http != null ? b.http : httpClient(options);
        ObjectMapper json = new ObjectMapper();
        this.hub = new HubClient(http, clock, options.tokenTtl().toSeconds(), json);
        DpsClient dps = new DpsClient(http, options, clock, sleeper, json);
        this.links = new DeviceLinks(new Provisioner(dps, options, sleeper), options, ticker);
    }

    /** The production sender: system clock and sleeper, its own pooled OkHttp client. */
    public static IotHubSender create(Settings settings) {
        return builder(IotOptions.from(settings)).build();
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
        HubClient.check(message);
        Deadline deadline = Deadline.after(ticker, budget);
        String deviceId = message.deviceId();
        DeviceLink link = links.cached(deviceId);
        DeviceLink failed = null;
        boolean reprovisioned = false;
        for (int retries = 0; ; ) {
            if (link == null) {
                link = links.link(deviceId, message.modelId(), failed, deadline);
            }
            if (deadline.expired()) {
                throw outOfTime(deviceId, "before IoT Hub accepted the message", options.pendingRetryAfter());
            }
            HubReply reply = hub.send(link, message, deadline);
            if (reply.status() >= 200 && reply.status() < 300) {
                return; // the hot path: one cache read, one request, no decision object
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

    @Override
    public void close() {
        links.close();
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
        private OkHttpClient http;

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

        /** A client to share; the sender then leaves closing it to its owner. Default: {@link #httpClient}'s. */
        public Builder httpClient(OkHttpClient http) {
            this.http = Objects.requireNonNull(http);
            return this;
        }

        public IotHubSender build() {
            return new IotHubSender(this);
        }
    }
}
