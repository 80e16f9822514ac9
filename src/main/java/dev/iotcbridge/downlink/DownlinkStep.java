package dev.iotcbridge.downlink;

import static dev.iotcbridge.downlink.DownlinkLines.error;
import static dev.iotcbridge.downlink.DownlinkLines.line;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.downlink.CloudToDeviceOutcome.Result;
import dev.iotcbridge.iot.CloudToDevice;
import dev.iotcbridge.iot.CloudToDevice.Action;
import dev.iotcbridge.iot.CloudToDeviceMessage;
import dev.iotcbridge.net.EventLoops;
import dev.iotcbridge.transform.RouteTransform;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.X509TrustManager;

/**
 * Commands on downlinks (docs/commands.md): after an uplink whose telemetry reached the hub, for each device whose
 * sender offered a downlink ({@link DownlinkOffer}), receive the command IoT Central queued for it (a cloud-to-device
 * message) and hand it to the sender's downlink path, in the call's answer or through the cloud's API.
 *
 * <p>Delivery semantics: the uplink's outcome is already decided, and nothing here changes it. A command is completed
 * only once the cloud accepted it (its API answered 2xx, or the answer carrying it is handed to the server); abandoned
 * when the cloud failed transiently, so it comes back with a later uplink (IoT Hub's max delivery count bounds that);
 * rejected when it can never succeed (it cannot be encoded, does not fit, the cloud refused it). An offer the bridge
 * cannot serve (a host not allowed, a missing key) is refused before anything is received, so its command stays
 * queued. At most one receive per device per call and per BRIDGE_DOWNLINK_MIN_INTERVAL_SECONDS, all within the
 * call's time budget; a command's lock lasts a minute, far longer than any budget.
 *
 * <p>Every future completes normally and everything runs on the caller's event loop, waiting on no thread.
 */
public final class DownlinkStep {

    private static final Logger LOG = Logger.getLogger(DownlinkStep.class.getName());
    /** Less than this left of the call's budget: no receive is started (it would only be abandoned). */
    static final Duration MIN_TIME = Duration.ofMillis(250);
    /** No step waits longer than this, whatever the budget, so a command's one-minute lock outlives it. */
    private static final Duration MAX_WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CloudToDevice c2d;
    private final CloudApi clouds;
    private final ReceivePacer pacer;
    private final OfferPreparation preparation;
    private final Ticker ticker;

    private DownlinkStep(Builder b) {
        this.c2d = b.c2d;
        this.preparation = new OfferPreparation(b.settings);
        this.ticker = b.ticker;
        this.clouds = new CloudApi(b.loops, b.trust);
        this.pacer = new ReceivePacer(b.settings.downlinkMinInterval(), b.settings.deviceCacheSize(), ticker);
    }

    public static Builder builder(Settings settings, CloudToDevice c2d, EventLoops loops) {
        return new Builder(settings, c2d, loops);
    }

    /** One device's offer, as the route's transform wrote it in its message's {@code downlink} field. */
    public record Offer(String deviceId, JsonNode downlink) {
    }

    /** The webhook call's answer when a downlink travels in it (Sigfox BIDIR): a JSON body, status 200. */
    public record Answer(byte[] body) {
    }

    /** The end of the call's budget, on this step's ticker. */
    public long deadline(Duration budget) {
        return ticker.read() + budget.toNanos();
    }

    /**
     * The downlinks of one call whose messages all reached the hub.
     *
     * @param header   the call's headers by lower-case name, secrets included (what a {@code {"header": ...}} names)
     * @param query    the call's query (a {@code downlink_port} there wins over the app setting)
     * @param deadline from {@link #deadline}
     * @return the call's answer when an offer asked for the downlink in it and a command was completed for it
     */
    public CompletableFuture<Optional<Answer>> afterUplink(RouteTransform route, List<Offer> offers,
                                                           Function<String, Optional<String>> header,
                                                           Map<String, String> query, long deadline, Logger log) {
        try {
            List<PreparedOffer> ready = preparation.prepare(route, offers, header, query, log);
            CompletableFuture<Optional<Answer>> chain = CompletableFuture.completedFuture(Optional.empty());
            for (PreparedOffer p : ready) {
                chain = chain.thenCompose(answer -> one(route, p, deadline, log)
                        .thenApply(mine -> answer.isPresent() ? answer : mine));
            }
            return chain.exceptionally(t -> unexpected(route, t));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(unexpected(route, e));
        }
    }

    /**
     * Durable mode's downlink, after the queue worker delivered the message: only a request can be made now (the call
     * is long answered), with the secret the intake resolved from the call.
     */
    public CompletableFuture<Boolean> afterDelivery(RouteTransform route, QueuedDownlink queued, Duration budget, Logger log) {
        try {
            DownlinkOffer offer = DownlinkOffer.parse(queued.downlink());
            if (offer.kind() != DownlinkOffer.Kind.REQUEST) {
                return CompletableFuture.completedFuture(false);
            }
            // the only header a prepared offer asks for is the one its auth names, resolved by the intake
            Optional<PreparedOffer> p = preparation.prepareOne(route, queued.deviceId(), offer, name -> queued.secret(), queued.port(), log);
            if (p.isEmpty()) {
                return CompletableFuture.completedFuture(false);
            }
            return one(route, p.get(), deadline(budget), log).thenApply(a -> true)
                    .exceptionally(t -> unexpected(route, t).isPresent());
        } catch (DownlinkOffer.Invalid e) {
            log.warning(() -> "route=" + route.route() + " device=" + queued.deviceId() + " downlink=ignored" + error(e.getMessage()));
            return CompletableFuture.completedFuture(false);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(unexpected(route, e).isPresent());
        }
    }

    /**
     * What durable mode's intake keeps of an offer so the worker can serve it later: only requests, with the header
     * secret they name (a cloud's API key, which then sits in the queue like the telemetry does).
     */
    public static Optional<QueuedDownlink> forQueue(Settings settings, RouteTransform route, Offer offer,
                                                    Function<String, Optional<String>> header, Map<String, String> query,
                                                    Logger log) {
        try {
            DownlinkOffer parsed = DownlinkOffer.parse(offer.downlink());
            if (parsed.kind() != DownlinkOffer.Kind.REQUEST) {
                log.fine(() -> "route=" + route.route() + " device=" + offer.deviceId()
                        + " downlink=none reason=\"in durable mode the call is answered before any command is received\"");
                return Optional.empty();
            }
            Optional<String> secret = parsed.request().flatMap(DownlinkOffer.Request::auth)
                    .filter(a -> a.from().fromHeader()).flatMap(a -> header.apply(a.from().name()));
            return Optional.of(new QueuedDownlink(offer.deviceId(), offer.downlink(), OfferPreparation.defaultPort(settings, route, query), secret));
        } catch (DownlinkOffer.Invalid e) {
            log.warning(() -> "route=" + route.route() + " device=" + offer.deviceId() + " downlink=ignored" + error(e.getMessage()));
            return Optional.empty();
        }
    }

    // --- one device: receive, encode, deliver, settle

    private CompletableFuture<Optional<Answer>> one(RouteTransform route, PreparedOffer p, long deadline, Logger log) {
        if (remaining(deadline).compareTo(MIN_TIME) < 0) {
            log.fine(() -> line(route, p.deviceId(), "none") + " reason=\"too little of the call's time budget is left to receive\"");
            return CompletableFuture.completedFuture(Optional.empty());
        }
        if (!c2d.linked(p.deviceId())) {
            log.fine(() -> line(route, p.deviceId(), "none") + " reason=\"no hub link is cached for the device\"");
            return CompletableFuture.completedFuture(Optional.empty());
        }
        if (!pacer.tryReceive(p.deviceId())) {
            log.fine(() -> line(route, p.deviceId(), "none") + " reason=\"received less than BRIDGE_DOWNLINK_MIN_INTERVAL_SECONDS ago\"");
            return CompletableFuture.completedFuture(Optional.empty());
        }
        long start = ticker.read();
        return c2d.receive(p.deviceId(), cap(remaining(deadline))).thenCompose(receipt -> {
            if (receipt instanceof CloudToDevice.Received r) {
                return deliver(route, p, r.message(), deadline, start, log);
            }
            if (receipt instanceof CloudToDevice.Unavailable u) {
                log.info(() -> line(route, p.deviceId(), "none") + error("cannot receive commands now: " + u.reason()));
            }
            return CompletableFuture.completedFuture(Optional.empty());
        });
    }

    private CompletableFuture<Optional<Answer>> deliver(RouteTransform route, PreparedOffer p, CloudToDeviceMessage m,
                                                        long deadline, long start, Logger log) {
        Command command;
        CommandEncoder.Encoded encoded;
        try {
            command = Command.of(m);
            encoded = CommandEncoder.encode(command, p.offer(), route.downlinks(), p.port());
        } catch (Undeliverable e) {
            Action action = e.permanent() ? Action.REJECT : Action.ABANDON;
            return settle(m, action, deadline).thenApply(s -> {
                report(log, route, p, m, new CloudToDeviceOutcome(action == Action.REJECT ? Result.REJECTED : Result.ABANDONED,
                        "", e.getMessage(), s, start));
                return Optional.empty();
            });
        }
        DownlinkTemplate.Values values = new DownlinkTemplate.Values(encoded.bytes(), encoded.port(), encoded.confirmed(),
                command.name().orElse(null));
        if (p.offer().kind() == DownlinkOffer.Kind.ANSWER) {
            byte[] body = bytes(DownlinkTemplate.render(p.offer().answer(), values));
            // completed before it is answered: a lost completion then costs this downlink (the command stays queued
            // and comes again), never a second delivery of one the device already got
            return settle(m, Action.COMPLETE, deadline).thenApply(s -> {
                if (s.done()) {
                    report(log, route, p, m, new CloudToDeviceOutcome(Result.ANSWERED, bytesShown(encoded), null, s, start));
                    return Optional.of(new Answer(body));
                }
                report(log, route, p, m, new CloudToDeviceOutcome(Result.KEPT, bytesShown(encoded),
                        "not answered: the hub did not complete the command", s, start));
                return Optional.empty();
            });
        }
        DownlinkOffer.Request r = p.offer().request().orElseThrow();
        DownlinkHosts.Target target;
        try {
            target = p.hosts().check(DownlinkTemplate.renderUrl(r.url(), values));
        } catch (DownlinkHosts.Refused e) {
            return settle(m, Action.ABANDON, deadline).thenApply(s -> {
                report(log, route, p, m, new CloudToDeviceOutcome(Result.ABANDONED, "", e.getMessage(), s, start));
                return Optional.empty();
            });
        }
        Map<String, String> headers = new LinkedHashMap<>(r.headers());
        r.auth().ifPresent(a -> headers.put(a.header(), a.prefix() + p.secret().orElseThrow()));
        byte[] body = r.body() == null ? null : bytes(DownlinkTemplate.render(r.body(), values));
        CloudApi.Call call = new CloudApi.Call(target, r.method(), headers, body);
        // a quarter of what is left stays for the settlement
        Duration forCloud = cap(remaining(deadline).multipliedBy(3).dividedBy(4));
        return clouds.send(call, forCloud, p.secret().orElse(null)).thenCompose(verdict -> {
            Action action = switch (verdict.outcome()) {
                case ACCEPTED -> Action.COMPLETE;
                case TRANSIENT -> Action.ABANDON;
                case REFUSED -> Action.REJECT;
            };
            return settle(m, action, deadline).thenApply(s -> {
                Result result = switch (action) {
                    case COMPLETE -> Result.SENT;
                    case ABANDON -> Result.ABANDONED;
                    case REJECT -> Result.REJECTED;
                };
                String fields = "via=" + target + " " + bytesShown(encoded) + (verdict.status() > 0 ? " status=" + verdict.status() : "");
                String why = action == Action.COMPLETE ? null : verdict.detail()
                        + (verdict.status() == 401 || verdict.status() == 403 ? ": check the API key" : "");
                report(log, route, p, m, new CloudToDeviceOutcome(result, fields, why, s, start));
                return Optional.<Answer>empty();
            });
        });
    }

    private CompletableFuture<CloudToDevice.Settlement> settle(CloudToDeviceMessage m, Action action, long deadline) {
        // even with the budget spent, a settlement gets a moment: without it the command waits out its lock
        Duration wait = remaining(deadline);
        return c2d.settle(m, action, wait.compareTo(MIN_TIME) < 0 ? MIN_TIME : cap(wait));
    }

    private void report(Logger log, RouteTransform route, PreparedOffer p, CloudToDeviceMessage m, CloudToDeviceOutcome o) {
        String command = commandName(m);
        long ms = (ticker.read() - o.startNanos()) / 1_000_000;
        String settled = o.settlement().done() ? "" : " settlement=" + o.settlement().outcome();
        String why = o.error() == null ? null
                : o.error() + (o.settlement().done() ? "" : "; settling it: " + o.settlement().detail());
        if (why == null && !o.settlement().done()) {
            why = "settling it: " + o.settlement().detail();
        }
        String text = line(route, p.deviceId(), o.result().word()) + " command=" + command
                + m.messageId().map(id -> " commandId=" + DownlinkOffer.clip(id)).orElse("")
                + (o.fields().isEmpty() ? "" : " " + o.fields()) + settled + " latencyMs=" + ms
                + (why == null ? "" : error(why));
        log.log(o.result().failed() || !o.settlement().done() ? Level.WARNING : Level.INFO, text);
    }

    private static String commandName(CloudToDeviceMessage m) {
        String n = m.properties().get(Command.METHOD_NAME);
        return n == null ? "(none)" : DownlinkOffer.clip(n);
    }

    private static String bytesShown(CommandEncoder.Encoded e) {
        return "bytes=" + e.bytes().length + " port=" + e.port();
    }

    private Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - ticker.read()));
    }

    private static Duration cap(Duration d) {
        return d.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : d;
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a rendered template is always serialisable", e);
        }
    }

    private static <T> Optional<T> unexpected(RouteTransform route, Throwable t) {
        LOG.log(Level.SEVERE, "unexpected failure in the downlink step of route " + route.route()
                + "; the uplink's answer stands", t);
        return Optional.empty();
    }

    /** Builds a step; tests inject time and the certificates the clouds' stand-ins use. */
    public static final class Builder {
        private final Settings settings;
        private final CloudToDevice c2d;
        private final EventLoops loops;
        private Ticker ticker = Ticker.systemTicker();
        private X509TrustManager trust;

        private Builder(Settings settings, CloudToDevice c2d, EventLoops loops) {
            this.settings = Objects.requireNonNull(settings);
            this.c2d = Objects.requireNonNull(c2d);
            this.loops = Objects.requireNonNull(loops);
        }

        /** Budgets and the receive interval. */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker);
            return this;
        }

        /** The certificates a cloud's must chain to. Default: the JVM's trust store. */
        public Builder trust(X509TrustManager trust) {
            this.trust = Objects.requireNonNull(trust);
            return this;
        }

        public DownlinkStep build() {
            return new DownlinkStep(this);
        }
    }
}
