package dev.iotcbridge.bridge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.error.BridgeFaultException;
import dev.iotcbridge.error.Completion;
import dev.iotcbridge.downlink.DownlinkStep;
import dev.iotcbridge.downlink.QueuedDownlink;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.iot.TelemetrySender;
import dev.iotcbridge.transform.RouteTransform;
import dev.iotcbridge.transform.TransformCatalog;
import dev.iotcbridge.transform.TransformVariables;
import io.opentelemetry.context.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One webhook call, end to end: limits, body, transform, validation, delivery of every message, and the
 * one status that tells the sender whether to retry. Knows nothing of the Functions library or of the
 * local server; both adapters turn their request into a {@link WebhookRequest}.
 */
public final class WebhookHandler {

    private static final Logger LOG = Logger.getLogger(WebhookHandler.class.getName());

    private final TransformCatalog transforms;
    private final TelemetrySender sender;
    private final Executor blocking;
    private final BodyParser bodies;
    private final MessageValidator validator;
    private final Duration budget;
    private final int maxMessages;
    private final Optional<MessageIntake> intake;
    /** Commands on downlinks (docs/commands.md); null when this handler serves none. */
    private final DownlinkStep downlinks;
    private final Settings settings;
    private final ObjectMapper mapper = JsonMapper.builder().build();
    private final CallCounters counters;
    /** The per-message records and the counters as OpenTelemetry signals; no-ops without the agent. */
    private final CallTelemetry telemetry;

    /** @param blocking runs what must not hold an event loop (durable mode's queue writes); it must not cap concurrency */
    public WebhookHandler(Settings settings, TransformCatalog transforms, TelemetrySender sender, Executor blocking) {
        this(settings, transforms, sender, blocking, Optional.empty());
    }

    /** @param intake durable mode: messages are queued there and the call is answered 202, never sent from here */
    public WebhookHandler(Settings settings, TransformCatalog transforms, TelemetrySender sender, Executor blocking,
                          Optional<MessageIntake> intake) {
        this(settings, transforms, sender, blocking, intake, Optional.empty());
    }

    /** @param downlinks receives the commands queued for a device whose sender offers a downlink, and sends them */
    public WebhookHandler(Settings settings, TransformCatalog transforms, TelemetrySender sender, Executor blocking,
                          Optional<MessageIntake> intake, Optional<DownlinkStep> downlinks) {
        this(settings, transforms, sender, blocking, intake, downlinks, CallTelemetry.global());
    }

    /** @param telemetry where the records and counters go besides the log lines ({@link CallTelemetry#global()}) */
    public WebhookHandler(Settings settings, TransformCatalog transforms, TelemetrySender sender, Executor blocking,
                          Optional<MessageIntake> intake, Optional<DownlinkStep> downlinks, CallTelemetry telemetry) {
        this.telemetry = telemetry;
        this.counters = new CallCounters(sender);
        this.downlinks = downlinks.orElse(null);
        this.settings = settings;
        this.intake = intake;
        this.transforms = transforms;
        this.sender = sender;
        this.blocking = blocking;
        this.bodies = new BodyParser(settings.maxBodyBytes(), settings.maxJsonDepth());
        this.validator = new MessageValidator(settings.defaultModelId(), settings.maxJsonDepth());
        this.budget = settings.requestBudget();
        this.maxMessages = settings.maxMessagesPerCall();
    }

    public WebhookResponse handle(WebhookRequest request) {
        return handle(request, LOG);
    }

    /** Handles a call on the caller's thread, which waits for the hub: what the Functions host expects. */
    public WebhookResponse handle(WebhookRequest request, Logger log) {
        return handleAsync(request, log).join();
    }

    /**
     * Handles a call without blocking the caller: parsing, the transform and validation run on the caller's thread
     * (CPU only, within the transform's budgets), the messages go to the sender's asynchronous path, and anything
     * that blocks (durable mode's queue) runs on {@code blocking}. The future never completes exceptionally: every
     * outcome is a response. Logs one line per message (route, device, outcome, latency) to {@code log}.
     */
    public CompletableFuture<WebhookResponse> handleAsync(WebhookRequest request, Logger log) {
        RouteTransform transform;
        List<DeviceMessage> messages;
        List<DownlinkStep.Offer> offers;
        try {
            transform = route(request.route());
            Call call = call(transform, request);
            messages = call.messages();
            offers = call.offers();
        } catch (BridgeException e) {
            counters.rejected(e.status());
            Level level = e.status() >= 500 ? Level.WARNING : Level.INFO;
            String route = MessageValidator.abbreviate(request.route());
            if (!telemetry.logsLive()) {
                log.log(level, () -> "route=" + route + " outcome=rejected status=" + e.status() + " error=" + quoted(e.getMessage()));
            }
            telemetry.rejected(level, route, e.status(), telemetry.logsLive()
                    ? "route=" + route + " outcome=rejected status=" + e.status() + " error=" + quoted(e.getMessage()) : null);
            return CompletableFuture.completedFuture(error(e, 0));
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "unexpected failure reading a call to route " + MessageValidator.abbreviate(request.route()), e);
            return CompletableFuture.completedFuture(error(new BridgeFaultException("internal error reading the call", e), 0));
        }
        if (messages.isEmpty()) {
            log.fine(() -> "route=" + request.route() + " skipped: the transform produced no message");
            return CompletableFuture.completedFuture(skipped(transform.successStatus()));
        }
        Context call = telemetry.callContext();
        if (intake.isPresent()) {
            List<Optional<QueuedDownlink>> queued = offers.isEmpty() ? List.of() : queuedDownlinks(transform, messages, offers, request, log);
            return CompletableFuture.supplyAsync(() -> enqueue(call, request.route(), transform.successStatus(), messages, queued, log), blocking);
        }
        if (!offers.isEmpty()) {
            return deliverWithDownlinks(call, request, transform, messages, offers, log);
        }
        return deliver(messages).thenApply(results -> {
            report(call, request.route(), results, log);
            Optional<BridgeException> decisive = CallStatus.decisive(results);
            if (decisive.isEmpty()) {
                return success(transform.successStatus(), results);
            }
            return failure(decisive.get(), CallStatus.retryAfter(results), results);
        });
    }

    /**
     * Telemetry first, then the downlinks the sender offered (docs/commands.md): only once every message reached the
     * hub, and whatever becomes of them, the uplink's status stands; a downlink that travels in the answer replaces the
     * success body.
     */
    private CompletableFuture<WebhookResponse> deliverWithDownlinks(Context call, WebhookRequest request, RouteTransform transform,
                                                                    List<DeviceMessage> messages,
                                                                    List<DownlinkStep.Offer> offers, Logger log) {
        long deadline = downlinks.deadline(budget);
        return deliver(messages).thenCompose(results -> {
            report(call, request.route(), results, log);
            Optional<BridgeException> decisive = CallStatus.decisive(results);
            if (decisive.isPresent()) {
                return CompletableFuture.completedFuture(failure(decisive.get(), CallStatus.retryAfter(results), results));
            }
            return downlinks.afterUplink(transform, offers, request::header, request.query(), deadline, log)
                    .thenApply(answer -> answer.map(a -> new WebhookResponse(200,
                                    Map.of("Content-Type", "application/json; charset=utf-8"), a.body()))
                            .orElseGet(() -> success(transform.successStatus(), results)));
        });
    }

    /**
     * Parses, transforms and validates a call without sending anything: what the CLI prints for a transform author.
     *
     * @throws BridgeException naming what is wrong with the input or the transform
     */
    public Call preview(WebhookRequest request) {
        Call call = call(route(request.route()), request);
        // a call reads offers only where a downlink step or durable mode serves them; a preview shows them all
        return new Call(call.messages(), offers(call.outputs(), call.messages()), call.outputs());
    }

    /**
     * A call's messages, and the downlinks its sender offers for their devices (none without a downlink step), with
     * the transform's outputs they came from.
     */
    public record Call(List<DeviceMessage> messages, List<DownlinkStep.Offer> offers, List<JsonNode> outputs) {
    }

    private Call call(RouteTransform transform, WebhookRequest request) {
        JsonNode body = bodies.parse(request.body(), request.header("content-type"));
        // the request's own maps: the variables leave the call's secrets out without copying them
        TransformVariables variables = new TransformVariables(request.query(), request.headers(), transform.route(),
                request.path());
        List<JsonNode> outputs = transform.apply(body, variables, maxMessages);
        List<DeviceMessage> messages = validator.validate(transform.route(), outputs, maxMessages);
        return new Call(messages, downlinks == null && intake.isEmpty() ? List.of() : offers(outputs, messages), outputs);
    }

    private static List<DownlinkStep.Offer> offers(List<JsonNode> outputs, List<DeviceMessage> messages) {
        List<JsonNode> found = MessageValidator.downlinks(outputs);
        if (found.isEmpty()) {
            return List.of();
        }
        List<DownlinkStep.Offer> offers = new ArrayList<>(found.size());
        for (int i = 0; i < found.size(); i++) {
            if (found.get(i) != null) {
                offers.add(new DownlinkStep.Offer(messages.get(i).deviceId(), found.get(i)));
            }
        }
        return offers;
    }

    private RouteTransform route(String route) {
        return transforms.find(route).orElseThrow(() -> new BadInputException(404,
                "no route '" + MessageValidator.abbreviate(route) + "'; the routes are: " + String.join(", ", transforms.routes())));
    }

    /** Durable mode: the downlink requests offered, by message, for the worker to make after delivering. */
    private List<Optional<QueuedDownlink>> queuedDownlinks(RouteTransform transform, List<DeviceMessage> messages,
                                                           List<DownlinkStep.Offer> offers, WebhookRequest request, Logger log) {
        List<Optional<QueuedDownlink>> queued = new ArrayList<>(messages.size());
        for (DeviceMessage m : messages) {
            Optional<QueuedDownlink> d = Optional.empty();
            for (DownlinkStep.Offer o : offers) {
                if (o.deviceId().equals(m.deviceId()) && queued.stream().noneMatch(q -> q.isPresent() && q.get().deviceId().equals(o.deviceId()))) {
                    d = DownlinkStep.forQueue(settings, transform, o, request::header, request.query(), log);
                    break;
                }
            }
            queued.add(d);
        }
        return queued;
    }

    private WebhookResponse enqueue(Context call, String route, int successStatus, List<DeviceMessage> messages,
                                    List<Optional<QueuedDownlink>> downlinks, Logger log) {
        long start = System.nanoTime();
        List<String> ids;
        try {
            ids = downlinks.isEmpty() ? intake.get().enqueue(route, messages) : intake.get().enqueue(route, messages, downlinks);
        } catch (BridgeException e) {
            messages.forEach(m -> counters.failed(e.status()));
            String line = "route=" + route + " outcome=failed status=" + e.status() + " error=" + quoted(e.getMessage());
            if (!telemetry.failedTogether(call, Level.WARNING, route, messages.size(), e.status(), line)) {
                log.log(Level.WARNING, line);
            }
            return error(e, messages.size());
        }
        long took = System.nanoTime() - start;
        counters.queued(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            String device = messages.get(i).deviceId();
            String line = "route=" + route + " device=" + device + " outcome=queued status=202 latencyMs=" + (took / 1_000_000)
                    + " messageId=" + ids.get(i);
            if (!telemetry.message(call, Level.INFO, route, device, "queued", 202, took, line)) {
                log.info(line);
            }
        }
        if (successStatus == 204) {
            return new WebhookResponse(204, Map.of(), null);
        }
        ObjectNode body = mapper.createObjectNode();
        body.put("queued", ids.size());
        ArrayNode list = body.putArray("messageIds");
        ids.forEach(list::add);
        return json(202, Map.of(), body);
    }

    /** Every message of the call at once; completes when each has its outcome. */
    private CompletableFuture<List<MessageResult>> deliver(List<DeviceMessage> messages) {
        if (messages.size() == 1) {
            return deliver(messages.get(0)).thenApply(List::of);
        }
        List<CompletableFuture<MessageResult>> pending = new ArrayList<>(messages.size());
        for (DeviceMessage m : messages) {
            pending.add(deliver(m));
        }
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<MessageResult> results = new ArrayList<>(pending.size());
            pending.forEach(f -> results.add(f.join()));
            return results;
        });
    }

    private CompletableFuture<MessageResult> deliver(DeviceMessage message) {
        long start = System.nanoTime();
        CompletableFuture<Void> sent;
        try {
            sent = sender.sendAsync(message, budget);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent.handle((ok, thrown) -> {
            long took = System.nanoTime() - start;
            if (thrown == null) {
                return MessageResult.delivered(message.deviceId(), took);
            }
            Throwable cause = Completion.cause(thrown);
            if (cause instanceof BridgeException e) {
                return MessageResult.failed(message.deviceId(), e, took);
            }
            // a bug of ours must not turn into a 2xx or kill the call; the sender may retry
            LOG.log(Level.SEVERE, "unexpected failure delivering to device " + message.deviceId(), cause);
            return MessageResult.failed(message.deviceId(),
                    new BridgeFaultException("internal error delivering the message; it was not delivered", cause), took);
        });
    }

    private WebhookResponse success(int status, List<MessageResult> results) {
        if (status == 204) {
            return new WebhookResponse(204, Map.of(), null);
        }
        return json(status, Map.of(), summary(results, null));
    }

    /** An event the transform acknowledged without a message (a join, an ack, a status report). */
    private WebhookResponse skipped(int status) {
        if (status == 204) {
            return new WebhookResponse(204, Map.of(), null);
        }
        ObjectNode body = mapper.createObjectNode();
        body.put("forwarded", 0);
        body.put("failed", 0);
        body.put("skipped", 1);
        body.putArray("results");
        return json(status, Map.of(), body);
    }

    private WebhookResponse failure(BridgeException decisive, Optional<Duration> retryAfter, List<MessageResult> results) {
        Map<String, String> headers = new HashMap<>();
        retryAfter.ifPresent(d -> headers.put("Retry-After", Long.toString(BridgeException.wholeSeconds(d))));
        ObjectNode body = summary(results, decisive.getMessage());
        return json(decisive.status(), headers, body);
    }

    private WebhookResponse error(BridgeException e, int failed) {
        Map<String, String> headers = new HashMap<>();
        e.retryAfter().ifPresent(d -> headers.put("Retry-After", Long.toString(BridgeException.wholeSeconds(d))));
        ObjectNode body = mapper.createObjectNode();
        body.put("error", e.getMessage());
        body.put("forwarded", 0);
        body.put("failed", failed);
        body.put("skipped", 0);
        body.putArray("results");
        return json(e.status(), headers, body);
    }

    private ObjectNode summary(List<MessageResult> results, String error) {
        ObjectNode body = mapper.createObjectNode();
        if (error != null) {
            body.put("error", error);
        }
        long forwarded = results.stream().filter(MessageResult::delivered).count();
        body.put("forwarded", forwarded);
        body.put("failed", results.size() - forwarded);
        body.put("skipped", 0);
        ArrayNode list = body.putArray("results");
        for (MessageResult r : results) {
            ObjectNode item = list.addObject();
            item.put("deviceId", r.deviceId());
            item.put("status", r.failure().map(BridgeException::status).orElse(200));
            r.failure().ifPresent(f -> item.put("error", f.getMessage()));
        }
        return body;
    }

    private WebhookResponse json(int status, Map<String, String> headers, ObjectNode body) {
        Map<String, String> all = new LinkedHashMap<>(headers);
        all.put("Content-Type", "application/json; charset=utf-8");
        try {
            return new WebhookResponse(status, all, mapper.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a response body is always serialisable", e);
        }
    }

    /**
     * Counts each message's outcome and reports it: as an OpenTelemetry record when an implementation takes records,
     * else as the text line through the invocation's logger (built only if that logger's level lets it through).
     */
    private void report(Context call, String route, List<MessageResult> results, Logger log) {
        for (MessageResult r : results) {
            int status = r.delivered() ? 200 : r.failure().get().status();
            Level level = r.delivered() ? Level.INFO : Level.WARNING;
            if (r.delivered()) {
                counters.delivered();
            } else {
                counters.failed(status);
            }
            if (!telemetry.message(call, level, route, r.deviceId(), r.delivered() ? "delivered" : "failed", status,
                    r.latencyNanos(), telemetry.logsLive() ? line(route, r) : null)) {
                log.log(level, () -> line(route, r));
            }
        }
    }

    /** What {@link #handleAsync} counted since the adapter last drained it. */
    public CallCounters counters() {
        return counters;
    }

    /**
     * The line per message, as {@code key=value} fields an operator can split into columns (Application Insights:
     * KQL {@code parse-kv}; README "What an operator sees on Azure"): route, device, outcome, status, latencyMs, then a
     * failure's error, quoted, last.
     */
    private static String line(String route, MessageResult r) {
        String status = r.failure().map(f -> Integer.toString(f.status())).orElse("200");
        String line = "route=" + route + " device=" + r.deviceId() + " outcome=" + (r.delivered() ? "delivered" : "failed")
                + " status=" + status + " latencyMs=" + (r.latencyNanos() / 1_000_000);
        return r.failure().map(f -> line + " error=" + quoted(f.getMessage())).orElse(line);
    }

    private static String quoted(String message) {
        return '"' + String.valueOf(message).replace("\"", "'") + '"';
    }

}
