package dev.iotcbridge.iot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.iot.DpsFailure.Kind;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The DPS device API over REST (reference §3), not Microsoft's SDK client: the SDK sends the model id payload as a
 * string, clamps polls to 2-5 s, sets no timeouts, leaks a thread per client and hides status codes (§5.d), and the
 * failure policy needs all of those right. Runs only on registration threads, never on a webhook's thread.
 */
final class DpsClient {

    /** Where DPS put the device: {@code assignedHub} is host[:port], exactly as the hub token must be signed. */
    record Assignment(String assignedHub, String deviceId) {
    }

    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
    private static final int MAX_ERROR_BODY = 16 * 1024;

    private final OkHttpClient http;
    private final IotOptions options;
    private final InstantSource clock;
    private final Sleeper sleeper;
    private final ObjectMapper json;
    private final HttpUrl scope;

    DpsClient(OkHttpClient http, IotOptions options, InstantSource clock, Sleeper sleeper, ObjectMapper json) {
        this.http = http;
        this.options = options;
        this.clock = clock;
        this.sleeper = sleeper;
        this.json = json;
        HttpUrl base = HttpUrl.parse(options.scheme() + "://" + options.dpsHost() + "/");
        if (base == null || !base.encodedPath().equals("/")) {
            throw new dev.iotcbridge.config.InvalidSettingException(
                    "IOTC_DPS_HOST must be host[:port], e.g. global.azure-devices-provisioning.net, was '" + options.dpsHost() + "'");
        }
        this.scope = base.newBuilder().addPathSegment(options.idScope()).build();
    }

    /**
     * Registration status lookup (§3.1): {@code POST /{scope}/registrations/{id}} answers the current assignment of a
     * device DPS already knows in one round trip, where a registration costs a PUT and at least one poll about 3 s
     * later. Worth it on a cold cache (every cold start of the function), wrong after a hub failure: it would return
     * the hub that just failed.
     *
     * @return the assignment, or empty when DPS knows the device but has not assigned it
     * @throws DpsFailure when DPS answers an error (404 for a device it never saw): the caller then registers
     */
    Optional<Assignment> lookup(String registrationId, byte[] key, Deadline deadline) throws DpsFailure {
        ObjectNode body = json.createObjectNode().put("registrationId", registrationId);
        Request request = request(registrationUrl(registrationId).build(), key, registrationId)
                .post(RequestBody.create(bytes(body), JSON)).build();
        Reply reply = execute(request, deadline);
        if (reply.status != 200) {
            throw reply.failure("registration lookup");
        }
        return assigned(reply.body, true); // a bare DeviceRegistrationResult, no operation wrapper: its own status decides
    }

    /**
     * Registers the device ({@code PUT .../register}) and polls the operation until DPS assigns it, waiting what DPS
     * asks in Retry-After between polls (through the injected sleeper).
     */
    Assignment register(String registrationId, byte[] key, Optional<String> modelId, Deadline deadline) throws DpsFailure {
        ObjectNode body = json.createObjectNode().put("registrationId", registrationId);
        // payload is a JSON object (IoT Central reads modelId from it to pick the device template), left out
        // entirely when no model id is known.
        modelId.ifPresent(m -> body.putObject("payload").put("modelId", m));
        Request put = request(registrationUrl(registrationId).addPathSegment("register").build(), key, registrationId)
                .put(RequestBody.create(bytes(body), JSON)).build();
        Reply reply = execute(put, deadline);
        for (int polls = 0; ; polls++) {
            if (reply.status != 200 && reply.status != 202) {
                throw reply.failure("registration");
            }
            String status = reply.body.path("status").asText("");
            switch (status) {
                case "assigned" -> {
                    // the operation's status already says assigned; the state's own status is not required
                    return assigned(reply.body.path("registrationState"), false).orElseThrow(() -> new DpsFailure(Kind.FAILED,
                            0, 0, null, "DPS answered assigned without a hub", null));
                }
                case "assigning", "unassigned" -> {
                    // still working: poll below
                }
                case "failed" -> {
                    JsonNode state = reply.body.path("registrationState");
                    int code = state.path("errorCode").asInt(0);
                    // 400209: "waiting for approval by an operator or blocked by an operator" (IoT Central)
                    throw new DpsFailure(code == 400209 ? Kind.REFUSED : Kind.FAILED, 0, code, null, "status failed", null);
                }
                case "disabled" -> throw new DpsFailure(Kind.REFUSED, 0, 0, null, "status disabled", null);
                default -> throw new DpsFailure(Kind.FAILED, reply.status, 0, null,
                        "unexpected registration status '" + status + "'", null);
            }
            String operationId = reply.body.path("operationId").asText("");
            if (operationId.isEmpty()) {
                throw new DpsFailure(Kind.FAILED, reply.status, 0, null, "DPS answered " + status + " without an operationId", null);
            }
            if (polls >= options.maxPolls()) {
                throw new DpsFailure(Kind.TRANSIENT, 0, 0, null, "still " + status + " after " + polls + " polls", null);
            }
            Duration wait = reply.retryAfter != null ? reply.retryAfter : options.pollInterval();
            if (!deadline.allows(wait)) {
                throw new DpsFailure(Kind.TRANSIENT, 0, 0, wait, "still " + status + " when the registration time ran out", null);
            }
            pause(wait);
            // The Location header of a real 202 points at .../register, not at the operation: build the URL ourselves.
            Request poll = request(registrationUrl(registrationId).addPathSegment("operations").addPathSegment(operationId)
                    .build(), key, registrationId).get().build();
            reply = execute(poll, deadline);
        }
    }

    private Optional<Assignment> assigned(JsonNode state, boolean requireStatus) {
        String hub = state.path("assignedHub").asText("");
        String deviceId = state.path("deviceId").asText("");
        boolean statusOk = !requireStatus || "assigned".equals(state.path("status").asText(""));
        if (!statusOk || hub.isEmpty() || deviceId.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Assignment(hub, deviceId));
    }

    private HttpUrl.Builder registrationUrl(String registrationId) {
        return scope.newBuilder()
                .addPathSegment("registrations")
                .addEncodedPathSegment(HubEndpoint.encodedId(registrationId)) // reference §2.3: ':' travels as %3A
                .setQueryParameter("api-version", options.dpsApiVersion());
    }

    /** The token is minted per DPS request: registrations are rare, and a poll may come long after the PUT. */
    private Request.Builder request(HttpUrl url, byte[] key, String registrationId) {
        long expiry = clock.instant().getEpochSecond() + options.tokenTtl().toSeconds();
        return new Request.Builder().url(url)
                .header("Authorization", SasToken.forDps(key, options.idScope(), registrationId, expiry))
                .header("Accept", "application/json");
    }

    private Reply execute(Request request, Deadline deadline) throws DpsFailure {
        long remaining = deadline.remainingNanos();
        if (remaining <= 0) {
            throw new DpsFailure(Kind.TRANSIENT, 0, 0, null, "registration time ran out", null);
        }
        Call call = http.newCall(request);
        call.timeout().timeout(remaining, TimeUnit.NANOSECONDS);
        try (Response response = call.execute()) {
            Duration retryAfter = RetryAfter.parse(response.header("Retry-After"), clock.instant());
            ResponseBody body = response.body();
            String text;
            try {
                text = response.isSuccessful() ? body.string() : response.peekBody(MAX_ERROR_BODY).string();
            } catch (IOException cut) {
                if (response.isSuccessful()) {
                    // The connection dropped half-way through the answer: a transport failure like any other, and DPS
                    // registration is idempotent, so retry. Not a malformed answer, which retrying would not fix.
                    throw new DpsFailure(Kind.TRANSIENT, 0, 0, null, "DPS connection dropped during its answer ("
                            + cut.getClass().getSimpleName() + ")", cut);
                }
                text = ""; // an error answer cut short still has its status
            }
            JsonNode tree;
            try {
                tree = text.isBlank() ? json.createObjectNode() : json.readTree(text);
            } catch (IOException unreadable) {
                if (response.isSuccessful()) {
                    throw new DpsFailure(Kind.FAILED, response.code(), 0, retryAfter, "unreadable DPS answer", unreadable);
                }
                tree = json.createObjectNode(); // an error body that is not JSON still has a status
            }
            int errorCode = tree.path("errorCode").asInt(0);
            if (errorCode == 0) {
                errorCode = parseInt(response.header("x-ms-error-code"));
            }
            return new Reply(response.code(), tree, retryAfter, errorCode);
        } catch (IOException e) {
            throw new DpsFailure(Kind.TRANSIENT, 0, 0, null, "DPS unreachable (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    private void pause(Duration wait) throws DpsFailure {
        try {
            sleeper.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DpsFailure(Kind.TRANSIENT, 0, 0, null, "interrupted while waiting for DPS", e);
        }
    }

    private byte[] bytes(ObjectNode body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
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

    private record Reply(int status, JsonNode body, Duration retryAfter, int errorCode) {

        DpsFailure failure(String what) {
            Kind kind = switch (status) {
                case 401 -> Kind.UNAUTHORIZED;
                case 403 -> Kind.REFUSED;
                case 400 -> errorCode == 400004 ? Kind.BAD_ID : Kind.FAILED;
                case 429 -> Kind.THROTTLED;
                default -> status >= 500 ? Kind.TRANSIENT : Kind.FAILED;
            };
            return new DpsFailure(kind, status, errorCode, retryAfter, what + " answered " + status, null);
        }
    }
}
