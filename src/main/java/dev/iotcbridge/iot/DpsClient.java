package dev.iotcbridge.iot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.iot.DpsPolicy.Ask;
import dev.iotcbridge.iot.DpsPolicy.Verdict;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The DPS device API over REST (docs/azure-protocol.md §2), not Microsoft's SDK client: the SDK sends the model id
 * payload as a string, clamps polls to 2-5 s, sets no timeouts, leaks a thread per client and hides status codes, and
 * the failure policy needs all of those right.
 *
 * <p>Asynchronous: each request is an OkHttp {@code enqueue} (OkHttp rather than the hubs' {@code PooledHttpClient}:
 * it keeps the JVM's TLS with host-name checking for DPS as it was, per-call timeouts, and the interceptors the fuzz
 * targets answer DPS with), and each wait between register and poll is a task on the injected {@link Scheduler}, so
 * a registration holds a thread only while a request is on the wire, never while it waits out DPS's Retry-After.
 * What an answer means is {@link DpsPolicy}'s to decide; this class reads answers and carries verdicts out.
 */
final class DpsClient implements AutoCloseable {

    /** Where DPS put the device: {@code assignedHub} is host[:port], exactly as the hub token must be signed. */
    record Assignment(String assignedHub, String deviceId) {
    }

    /**
     * DPS allows 5 operation polls per 10 s per device (Azure subscription and service limits, "IoT Hub Device
     * Provisioning Service limits"; docs/azure-protocol.md §2): a registration polls as DPS's Retry-After asks, but
     * never a sixth time within 10 s of its fifth-last poll. Per device, so the registration keeps its own count: it is
     * the only one polling for its device (single flight). Not the registration quota: polls are not operations.
     */
    static final int POLLS_PER_WINDOW = 5;
    static final Duration POLL_WINDOW = Duration.ofSeconds(10);
    /**
     * DPS requests on the wire at once (OkHttp's default is 5 per host, which would queue a burst of 50 new devices
     * behind one another); each holds one dispatcher thread for its round trip only.
     */
    static final int MAX_REQUESTS = 64;

    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
    private static final int MAX_ERROR_BODY = 16 * 1024;

    private final OkHttpClient http;
    private final ExecutorService dispatcherThreads;
    private final IotOptions options;
    private final InstantSource clock;
    private final Scheduler scheduler;
    private final ObjectMapper json;
    private final HttpUrl scope;
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * @param http the client whose connections, timeouts and TLS DPS is called with; this client adds its own
     *             dispatcher (and closes it), so the caller's stays as it was
     */
    DpsClient(OkHttpClient http, IotOptions options, InstantSource clock, Scheduler scheduler, ObjectMapper json) {
        this.options = options;
        this.clock = clock;
        this.scheduler = scheduler;
        this.json = json;
        HttpUrl base = HttpUrl.parse(options.scheme() + "://" + options.dpsHost() + "/");
        if (base == null || !base.encodedPath().equals("/")) {
            throw new dev.iotcbridge.config.InvalidSettingException(
                    "IOTC_DPS_HOST must be host[:port], e.g. global.azure-devices-provisioning.net, was '" + options.dpsHost() + "'");
        }
        this.scope = base.newBuilder().addPathSegment(options.idScope()).build();
        // daemon threads, gone after a minute idle: an idle bridge holds none, and none keeps the JVM alive. A queue,
        // not a hand-off: OkHttp starts a queued call from the thread of the call that just finished, still busy then,
        // and a pool of MAX_REQUESTS threads with a hand-off queue rejected it, which OkHttp reports as
        // InterruptedIOException "executor rejected", read as DPS unreachable (up to 22 of 100 new devices at once
        // answered 503, FleetScenariosTest). Queued, it runs as soon as that thread is free; still at most MAX_REQUESTS.
        ThreadPoolExecutor threads = new ThreadPoolExecutor(MAX_REQUESTS, MAX_REQUESTS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), new DefaultThreadFactory("iotc-dps-http", true));
        threads.allowCoreThreadTimeOut(true);
        this.dispatcherThreads = threads;
        Dispatcher dispatcher = new Dispatcher(dispatcherThreads);
        dispatcher.setMaxRequests(MAX_REQUESTS);
        dispatcher.setMaxRequestsPerHost(MAX_REQUESTS);
        this.http = http.newBuilder().dispatcher(dispatcher).build();
    }

    /**
     * Registration status lookup: {@code POST /{scope}/registrations/{id}} answers the current assignment of a device
     * DPS already knows in one round trip, where a registration costs a PUT and at least one poll about 3 s later.
     * Worth it on a cold cache (every cold start of the function), wrong after a hub failure: it would return the hub
     * that just failed.
     *
     * @return the assignment, or empty when DPS does not know the device or has not assigned it; fails with a
     *         {@link DpsFailure} for any other verdict (the caller decides whether a registration should follow)
     */
    CompletableFuture<Optional<Assignment>> lookup(String registrationId, byte[] key, Deadline deadline) {
        ObjectNode body = json.createObjectNode().put("registrationId", registrationId);
        Request request = request(registrationUrl(registrationId).build(), key, registrationId)
                .post(RequestBody.create(bytes(body), JSON)).build();
        return execute(request, deadline).thenApply(reply -> {
            // a bare DeviceRegistrationResult, no operation wrapper: its own status and errorCode decide
            String status = reply.body.path("status").asText("");
            Verdict v = DpsPolicy.decide(Ask.LOOKUP, reply.status, reply.errorCode, status);
            return switch (v) {
                case ASSIGNED -> assigned(reply.body);
                case UNKNOWN_DEVICE -> Optional.<Assignment>empty();
                default -> throw new CompletionFailure(reply.failure(v, "registration lookup"));
            };
        }).exceptionallyCompose(DpsClient::unwrap);
    }

    /**
     * Registers the device ({@code PUT .../register}) and polls the operation until DPS assigns it, each poll a task
     * on the scheduler after what DPS asks in Retry-After.
     */
    CompletableFuture<Assignment> register(String registrationId, byte[] key, Optional<String> modelId, Deadline deadline) {
        ObjectNode body = json.createObjectNode().put("registrationId", registrationId);
        // payload is a JSON object (IoT Central reads modelId from it to pick the device template), left out
        // entirely when no model id is known.
        modelId.ifPresent(m -> body.putObject("payload").put("modelId", m));
        Request put = request(registrationUrl(registrationId).addPathSegment("register").build(), key, registrationId)
                .put(RequestBody.create(bytes(body), JSON)).build();
        PollWindow window = new PollWindow();
        return execute(put, deadline).thenCompose(reply -> follow(Ask.REGISTER, reply, registrationId, key, deadline, window));
    }

    /** Requests on the wire now: tests move fake time only while DPS is quiet. */
    int inFlight() {
        return inFlight.get();
    }

    @Override
    public void close() {
        dispatcherThreads.shutdownNow();
    }

    /** One answer of a register or a poll: done, failed, or the next poll scheduled. */
    private CompletableFuture<Assignment> follow(Ask ask, Reply reply, String registrationId, byte[] key, Deadline deadline,
                                                 PollWindow polls) {
        String status = reply.body.path("status").asText("");
        Verdict v = DpsPolicy.decide(ask, reply.status, reply.errorCode, status);
        String what = ask == Ask.REGISTER ? "registration" : "operation poll";
        switch (v) {
            case ASSIGNED -> {
                // the operation's status already says assigned; the state's own status is not required
                return assigned(reply.body.path("registrationState")).map(CompletableFuture::completedFuture)
                        .orElseGet(() -> failed(new DpsFailure(Verdict.BROKEN, 0, 0, null, "DPS answered assigned without a hub", null)));
            }
            case ASSIGNING -> {
                String operationId = reply.body.path("operationId").asText("");
                if (operationId.isEmpty()) {
                    return failed(new DpsFailure(Verdict.BROKEN, reply.status, 0, null, "DPS answered " + status + " without an operationId", null));
                }
                if (polls.count() >= options.maxPolls()) {
                    return failed(new DpsFailure(Verdict.TRANSIENT, 0, 0, null, "still " + status + " after " + polls.count() + " polls", null));
                }
                // a Retry-After of 0 is no guidance: honoured, it would poll in a loop
                Duration asked = reply.retryAfter != null && !reply.retryAfter.isZero() ? reply.retryAfter : options.pollInterval();
                Duration wait = polls.wait(asked, deadline.ticker().read());
                if (!deadline.allows(wait)) {
                    return failed(new DpsFailure(Verdict.TRANSIENT, 0, 0, wait, "still " + status + " when the registration time ran out", null));
                }
                // The Location header of a real 202 points at .../register, not at the operation: build the URL ourselves.
                HttpUrl pollUrl = registrationUrl(registrationId).addPathSegment("operations").addPathSegment(operationId).build();
                return scheduler.after(wait)
                        .thenCompose(ignored -> {
                            polls.polled(deadline.ticker().read());
                            return execute(request(pollUrl, key, registrationId).get().build(), deadline);
                        })
                        .thenCompose(next -> follow(Ask.POLL, next, registrationId, key, deadline, polls));
            }
            default -> {
                if (reply.status != 200 && reply.status != 202) {
                    return failed(reply.failure(v, what));
                }
                // a failed operation has no HTTP failure to show: its status and errorCode are the detail
                boolean documented = status.equals("failed") || status.equals("disabled");
                return failed(documented
                        ? new DpsFailure(v, 0, reply.errorCode, reply.retryAfter, "status " + status, null)
                        : new DpsFailure(v, reply.status, reply.errorCode, null, "unexpected registration status '" + status + "'", null));
            }
        }
    }

    /** One registration's polls: how many, and when the last {@link #POLLS_PER_WINDOW} went out (on the ticker). */
    private static final class PollWindow {

        private final long[] recent = new long[POLLS_PER_WINDOW];
        private int count;

        int count() {
            return count;
        }

        /** What DPS asked, or longer when a poll then would be the sixth within 10 s. */
        Duration wait(Duration asked, long nowNanos) {
            if (count < POLLS_PER_WINDOW) {
                return asked;
            }
            long fifthLast = recent[count % POLLS_PER_WINDOW];
            long allowed = fifthLast + POLL_WINDOW.toNanos() - nowNanos;
            return allowed > asked.toNanos() ? Duration.ofNanos(allowed) : asked;
        }

        void polled(long nowNanos) {
            recent[count % POLLS_PER_WINDOW] = nowNanos;
            count++;
        }
    }

    private static Optional<Assignment> assigned(JsonNode state) {
        // strings only: a number or an object where DPS puts a name is no name (asText would make "12" of 12)
        String hub = state.path("assignedHub").isTextual() ? state.path("assignedHub").textValue() : "";
        String deviceId = state.path("deviceId").isTextual() ? state.path("deviceId").textValue() : "";
        if (hub.isEmpty() || deviceId.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Assignment(hub, deviceId));
    }

    private HttpUrl.Builder registrationUrl(String registrationId) {
        return scope.newBuilder()
                .addPathSegment("registrations")
                .addEncodedPathSegment(HubEndpoint.encodedId(registrationId)) // ':' travels as %3A
                .setQueryParameter("api-version", options.dpsApiVersion());
    }

    /** The token is minted per DPS request: registrations are rare, and a poll may come long after the PUT. */
    private Request.Builder request(HttpUrl url, byte[] key, String registrationId) {
        long expiry = clock.instant().getEpochSecond() + options.tokenTtl().toSeconds();
        return new Request.Builder().url(url)
                .header("Authorization", SasToken.forDps(key, options.idScope(), registrationId, expiry))
                .header("Accept", "application/json");
    }

    /**
     * One request, enqueued. Completes on OkHttp's dispatcher thread, where whatever follows (the next request, a
     * scheduled wait) is set up before the request counts as finished, so that {@link #inFlight} never shows a quiet
     * DPS while a registration is between two steps.
     */
    private CompletableFuture<Reply> execute(Request request, Deadline deadline) {
        long remaining = deadline.remainingNanos();
        if (remaining <= 0) {
            return failed(new DpsFailure(Verdict.TRANSIENT, 0, 0, null, "registration time ran out", null));
        }
        CompletableFuture<Reply> result = new CompletableFuture<>();
        Call call = http.newCall(request);
        call.timeout().timeout(remaining, TimeUnit.NANOSECONDS);
        inFlight.incrementAndGet();
        try {
            call.enqueue(new Callback() {
                @Override
                public void onFailure(Call c, IOException e) {
                    try {
                        result.completeExceptionally(new DpsFailure(DpsPolicy.unreachable(), 0, 0, null,
                                "DPS unreachable (" + e.getClass().getSimpleName() + ")", e));
                    } finally {
                        inFlight.decrementAndGet();
                    }
                }

                @Override
                public void onResponse(Call c, Response response) {
                    try {
                        Reply reply;
                        try (response) {
                            reply = read(response);
                        } catch (DpsFailure f) {
                            result.completeExceptionally(f);
                            return;
                        } catch (RuntimeException | Error e) {
                            result.completeExceptionally(e);
                            return;
                        }
                        result.complete(reply);
                    } finally {
                        inFlight.decrementAndGet();
                    }
                }
            });
        } catch (RuntimeException e) {
            inFlight.decrementAndGet(); // the dispatcher is shut down: the bridge is closing
            result.completeExceptionally(new DpsFailure(Verdict.TRANSIENT, 0, 0, null, "DPS client closed", e));
        }
        return result;
    }

    private Reply read(Response response) throws DpsFailure {
        Duration retryAfter = RetryAfter.parse(response.header("Retry-After"), clock.instant());
        ResponseBody body = response.body();
        String text;
        try {
            text = response.isSuccessful() ? body.string() : response.peekBody(MAX_ERROR_BODY).string();
        } catch (IOException cut) {
            if (response.isSuccessful()) {
                // The connection dropped half-way through the answer: a transport failure like any other, and DPS
                // registration is idempotent, so retry. Not a malformed answer, which retrying would not fix.
                throw new DpsFailure(DpsPolicy.unreachable(), 0, 0, null, "DPS connection dropped during its answer ("
                        + cut.getClass().getSimpleName() + ")", cut);
            }
            text = ""; // an error answer cut short still has its status
        }
        JsonNode tree;
        try {
            tree = text.isBlank() ? json.createObjectNode() : json.readTree(text);
        } catch (IOException unreadable) {
            if (response.isSuccessful()) {
                throw new DpsFailure(Verdict.BROKEN, response.code(), 0, retryAfter, "unreadable DPS answer", unreadable);
            }
            tree = json.createObjectNode(); // an error body that is not JSON still has a status
        }
        if (!tree.isObject()) {
            if (response.isSuccessful()) {
                throw new DpsFailure(Verdict.BROKEN, response.code(), 0, retryAfter, "DPS answered JSON that is not an object", null);
            }
            tree = json.createObjectNode();
        }
        // the error body's code, else the failed registration state's, else the header's
        int errorCode = code(tree.path("errorCode"));
        if (errorCode == 0) {
            errorCode = code(tree.path("registrationState").path("errorCode"));
        }
        if (errorCode == 0) {
            errorCode = parseInt(response.header("x-ms-error-code"));
        }
        return new Reply(response.code(), tree, retryAfter, errorCode);
    }

    private byte[] bytes(ObjectNode body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int code(JsonNode n) {
        return n.isTextual() ? parseInt(n.asText()) : HubErrorCodes.exactInt(n);
    }

    private static int parseInt(String s) {
        if (s == null) {
            return 0;
        }
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static <T> CompletableFuture<T> failed(DpsFailure f) {
        return CompletableFuture.failedFuture(f);
    }

    /** A {@link DpsFailure} thrown inside a stage, so that the future fails with the DpsFailure itself. */
    private static final class CompletionFailure extends RuntimeException {
        final DpsFailure failure;

        CompletionFailure(DpsFailure failure) {
            super(failure.getMessage(), failure, false, false);
            this.failure = failure;
        }
    }

    private static <T> CompletableFuture<T> unwrap(Throwable t) {
        Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
        return CompletableFuture.failedFuture(c instanceof CompletionFailure f ? f.failure : c);
    }

    private record Reply(int status, JsonNode body, Duration retryAfter, int errorCode) {

        DpsFailure failure(Verdict v, String what) {
            return new DpsFailure(v, status, errorCode, retryAfter, what + " answered " + status, null);
        }
    }
}
