package dev.iotcbridge.iot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.net.ReceivedResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import okhttp3.OkHttpClient;

/**
 * The package's readers of what Azure answers, for the fuzz targets ({@code dev.iotcbridge.fuzz}), which live outside
 * the package: each method is the one entry a target goes through, so that a rewrite of the code behind it re-points
 * the entry here, not the target.
 */
public final class AzureAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AzureAnswers() {
    }

    /** What the sender decides on one answer of the hub, and what the caller would be told if that ended the call. */
    public record HubDecision(String action, int status, String reason, Duration retryAfter, Duration hubRetryAfter,
                              int errorCode) {
    }

    /**
     * One answer of the hub to a send-event, read as the hub client reads it and decided by the failure policy.
     *
     * @param reprovisioned whether the call already re-provisioned the device
     */
    public static HubDecision hubAnswer(ReceivedResponse answer, boolean reprovisioned, Instant now) {
        HubClient client = new HubClient(null, InstantSource.fixed(now), 3600, 1, JSON);
        HubReply reply = client.reply(answer, null);
        // the second send of a call that re-provisioned, or the first of a call with no window open; the back-off step
        // is the production one after that many failures
        int attempts = reprovisioned ? 2 : 1;
        Duration step = new Backoff(IotOptions.RETRY_BASE, IotOptions.RETRY_CAP, () -> 0L).ceiling(attempts);
        FailurePolicy.Decision d = FailurePolicy.decide(reply,
                new FailurePolicy.History(reprovisioned, Duration.ZERO, attempts, step), now);
        return new HubDecision(d.action().name(), d.status(), d.reason(), d.retryAfter(), reply.retryAfter(), reply.errorCode());
    }

    /** The Retry-After header as DPS's and the hub's answers are read: the wait, or null. */
    public static Duration retryAfter(String header, Instant now) {
        return RetryAfter.parse(header, now);
    }

    /** A device link as the provisioning produced it: the hub DPS assigned and the hub device id. */
    public record Link(String hub, String deviceId) {
    }

    /**
     * The provisioning path of a sender (device links, provisioner, DPS client) with DPS behind {@code dps}, an OkHttp
     * client whose interceptors answer for DPS, and time that only {@code sleeper} moves.
     */
    public static final class Provisioning implements AutoCloseable {

        private final DeviceLinks links;
        private final Ticker ticker;
        private final Duration budget;
        private final java.util.concurrent.ExecutorService waits;

        Provisioning(DeviceLinks links, Ticker ticker, Duration budget, java.util.concurrent.ExecutorService waits) {
            this.links = links;
            this.ticker = ticker;
            this.budget = budget;
            this.waits = waits;
        }

        /**
         * The link for a device that is not cached, as a webhook call asks for it.
         *
         * @throws BridgeException what the call would answer
         */
        public Link link(String deviceId, Optional<String> modelId) {
            DeviceLink link = links.link(deviceId, modelId, null, Deadline.after(ticker, budget));
            return new Link(link.hub.name, link.deviceId);
        }

        @Override
        public void close() {
            links.close();
            waits.shutdownNow();
        }
    }

    /**
     * @param clock   wall time (token expiry, Retry-After dates)
     * @param ticker  elapsed time (budgets, back-off windows)
     * @param sleeper the waits between polls and retries; it should move both clocks. The provisioning's scheduler
     *                runs each task on one thread of its own after this wait, in the order they were scheduled
     * @param budget  the call's time budget
     */
    public static Provisioning provisioning(IotOptions options, OkHttpClient dps, InstantSource clock, Ticker ticker,
                                            Sleeper sleeper, Duration budget) {
        java.util.concurrent.ExecutorService waits = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "azure-answers-waits");
            t.setDaemon(true);
            return t;
        });
        Scheduler scheduler = (delay, task) -> {
            boolean[] cancelled = {false};
            try {
                waits.execute(() -> {
                    try {
                        sleeper.sleep(delay);
                    } catch (InterruptedException e) {
                        return; // closing
                    }
                    if (!cancelled[0]) {
                        task.run();
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // a DPS answer of an input already closed arrived late: its provisioning has no one left to serve
            }
            return () -> cancelled[0] = true;
        };
        DpsClient client = new DpsClient(dps, options, clock, scheduler, JSON);
        return new Provisioning(new DeviceLinks(new Provisioner(client, options, scheduler, ticker, new FleetCounters(io.opentelemetry.api.OpenTelemetry.noop())), options, ticker, scheduler,
                        new ReprovisionWindow(options.reprovisionWindow(), options.deviceCacheSize(), ticker),
                        IotHubSender.callBackoff(dev.iotcbridge.testing.Draws.highest())),
                ticker, budget, waits);
    }

    /** The device key the bridge derives for a registration id, to watch for it. */
    public static byte[] deviceKey(IotOptions options, String registrationId) {
        return options.primaryKey().deviceKey(registrationId);
    }

    /**
     * The sender's own check of a message (header characters, ids): DeviceMessage's constructor, which every message
     * the sender is given has passed; run again here on the message's parts so that a target asserts it, not assumes it.
     *
     * @throws BridgeException when the sender would refuse it
     */
    public static void senderCheck(DeviceMessage m) {
        new DeviceMessage(m.deviceId(), m.modelId(), m.body(), m.creationTimeUtc(), m.component(), m.messageId(), m.properties());
    }
}
