package dev.iotcbridge.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.iot.AzureAnswers;
import dev.iotcbridge.iot.IotOptions;
import dev.iotcbridge.iot.Sleeper;
import dev.iotcbridge.net.ReceivedResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;

/**
 * What the bridge reads from Azure: IoT Hub's error answers (status, body, iothub-errorcode, Retry-After), Retry-After
 * values on their own, and DPS's answers to a registration (lookup, PUT, polls). A fuzzed answer never crashes a call,
 * the caller is told a short printable message with no secret and no text of Azure's free-text fields in it, a number
 * the bridge acts on (an error code, a wait, a hub) is one the answer holds, and a misbehaving DPS is never asked more
 * than a bounded number of times (the bridge damps, never amplifies).
 *
 * <p>Entries: {@link AzureAnswers} (the package's readers, and its provisioning path with DPS behind an OkHttp
 * interceptor that answers from the fuzzer's script). Re-point that class when DPS answer handling is rewritten.
 */
class AzureAnswersFuzzTest {

    private static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");
    /** Put in the free-text fields of Azure's answers (message, errorMessage, trackingId): never shown to a caller. */
    private static final String CANARY = "AzureFreeTextCanary";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    // --- IoT Hub error answers -----------------------------------------------------------------------------------

    private static final List<Integer> STATUSES = List.of(200, 204, 400, 401, 403, 404, 408, 409, 413, 429, 500, 502, 503,
            504, 302, 405, 100, 299, 300, 599);
    private static final List<String> CODE_NAMES = List.of("ArgumentInvalid", "IotHubFormatError", "IotHubUnauthorizedAccess",
            "IotHubUnauthorized", "IotHubQuotaExceeded", "DeviceMaximumQueueDepthExceeded", "DeviceDisabled", "DeviceNotFound",
            "IotHubFailingOver", "MessageTooLarge", "ThrottlingException", "ThrottleBacklogLimitExceeded",
            "DeviceThrottlingLimitExceeded", "ServerError", "GenericTimeout", "ServiceUnavailable", "ServerBusy",
            "devicenotfound", "Unknown", "", " DeviceNotFound ");
    private static final List<String> CODES = List.of("404001", "404012", "403002", "403012", "401002", "429001", "500001",
            "503001", "400004", "413001", "0", "-403002", "4294970298", "403002.5", "4.03002E5", "00403002", "9999999999",
            "\"403002\"", "null", "true", "[403002]");

    @FuzzTest
    void hubAnswers(byte[] data) {
        FuzzInput in = new FuzzInput(data);
        int status = in.oneIn(8) ? in.between(100, 599) : in.oneOf(STATUSES);
        String body = hubBody(in);
        HttpHeaders headers = new DefaultHttpHeaders(false);
        if (in.bool()) {
            headers.add("iothub-errorcode", in.bool() ? in.oneOf(CODE_NAMES) : in.oneOf(CODES).replace("\"", ""));
        }
        if (in.bool()) {
            headers.add("Retry-After", retryAfter(in));
        }
        boolean reprovisioned = in.bool();
        String shown = "HTTP " + status + " " + headers.entries() + " reprovisioned=" + reprovisioned + " body " + Inputs.visible(body);

        Watch watch = Watch.get().secrets(Map.of(CANARY, "text of the hub's answer"), Map.of());
        watch.begin();
        AzureAnswers.HubDecision d = AzureAnswers.hubAnswer(
                new ReceivedResponse(status, headers, body.getBytes(StandardCharsets.UTF_8)), reprovisioned, NOW);
        watch.see(d.reason());
        CallerText.check("the decision", d.reason(), shown);
        if (status >= 200 && status < 300) {
            assertEquals("DELIVERED", d.action(), shown);
        } else {
            assertTrue(List.of(400, 403, 413, 502, 503).contains(d.status()), "a failure is answered 400, 403, 413, 502 or 503, not "
                    + d.status() + "\n" + shown);
        }
        if (d.hubRetryAfter() != null) {
            assertTrue(!d.hubRetryAfter().isNegative() && d.hubRetryAfter().compareTo(Duration.ofHours(1)) <= 0,
                    "a Retry-After is read as 0 s to 1 h: " + d.hubRetryAfter() + "\n" + shown);
        }
        if (d.retryAfter() != null) {
            assertTrue(d.retryAfter().compareTo(Duration.ZERO) > 0 && d.retryAfter().compareTo(Duration.ofDays(1)) <= 0,
                    "the caller waits at most until the next UTC day: " + d.retryAfter() + "\n" + shown);
        }
        int code = d.errorCode();
        if (code != 0) {
            // the code the policy acts on is one the answer holds: its digits, a JSON number of that value (4.03002E5 is
            // 403002), or the code of a name it holds
            String all = body + " " + headers.get("iothub-errorcode");
            boolean held = all.contains(Integer.toString(code)) || holdsNumber(all, code) || NAMED_CODES.entrySet().stream()
                    .anyMatch(e -> e.getValue() == code && all.contains(e.getKey()));
            assertTrue(held, "error code " + code + " is in no part of the answer\n" + shown);
        }
        Integer expected = status >= 200 && status < 300 ? Integer.valueOf(0) : documentedCode(body, headers.get("iothub-errorcode"));
        if (expected != null) {
            assertEquals((int) expected, code, "the documented error code of the answer\n" + shown);
        }
        watch.end(shown);
    }

    private static final Map<String, Integer> NAMED_CODES = Map.ofEntries(Map.entry("ArgumentInvalid", 400004),
            Map.entry("IotHubFormatError", 400006), Map.entry("IotHubUnauthorizedAccess", 401002),
            Map.entry("IotHubUnauthorized", 401003), Map.entry("IotHubQuotaExceeded", 403002),
            Map.entry("DeviceMaximumQueueDepthExceeded", 403004), Map.entry("DeviceDisabled", 403012),
            Map.entry("DeviceNotFound", 404001), Map.entry("IotHubFailingOver", 404012), Map.entry("MessageTooLarge", 413001),
            Map.entry("ThrottlingException", 429001), Map.entry("ThrottleBacklogLimitExceeded", 429002),
            Map.entry("DeviceThrottlingLimitExceeded", 429005), Map.entry("ServerError", 500001),
            Map.entry("GenericTimeout", 500008), Map.entry("ServiceUnavailable", 503001), Map.entry("ServerBusy", 503005));
    private static final Pattern SIX_DIGITS = Pattern.compile("[1-9][0-9]{5}");

    /**
     * The code of an answer in one of the two documented shapes, with a plain six-digit code and nothing else that
     * names one (Microsoft's C# service SDK, ExceptionHandlingHelper: the errorCode of the JSON in Message, else the
     * ErrorCode:Name prefix of Message); null for any other answer, where only "held" is checked.
     */
    private static Integer documentedCode(String body, String header) {
        if (header != null) {
            return null;
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
        if (tree == null || !tree.isObject() || tree.size() != 2 || !tree.path("Message").isTextual()) {
            return null;
        }
        String message = tree.get("Message").textValue();
        Matcher named = Pattern.compile("ErrorCode:([A-Za-z]+);[^;{]*").matcher(message);
        if (named.matches()) {
            return NAMED_CODES.get(named.group(1));
        }
        try {
            JsonNode inner = JSON.readTree(message);
            JsonNode c = inner == null ? null : inner.get("errorCode");
            if (c != null && c.isInt() && SIX_DIGITS.matcher(c.asText()).matches()) {
                return c.intValue();
            }
        } catch (IOException notJson) {
            // neither shape
        }
        return null;
    }

    /** A hub error body in one of the documented shapes, or another JSON, or any text. */
    private static String hubBody(FuzzInput in) {
        String text = "the device " + CANARY + " (" + in.text(12) + ")";
        String name = in.oneOf(CODE_NAMES);
        String code = in.oneOf(CODES);
        JsonNode tree;
        switch (in.below(7)) {
            case 0 -> tree = F.objectNode().put("Message", "ErrorCode:" + name + ";" + text)
                    .put("ExceptionMessage", "Tracking ID:" + CANARY + "-G:10-TimeStamp:11/27/2026 10:00:00");
            case 1 -> tree = F.objectNode().put("Message", "{\"errorCode\":" + code + ",\"trackingId\":\"" + CANARY
                    + "\",\"message\":\"" + text.replace("\"", "") + "\",\"timestampUtc\":\"2026-11-27T10:00:00Z\"}")
                    .put("ExceptionMessage", "");
            case 2 -> tree = parseOr(F.objectNode().put("message", text), "{\"errorCode\":" + code + ",\"message\":\"" + CANARY + "\"}");
            case 3 -> {
                return in.text(80) + CANARY;
            }
            case 4 -> {
                return "";
            }
            default -> tree = F.objectNode().put("Message", in.bool() ? "ErrorCode:" + name + ";" + text : text)
                    .put("errorCode", code);
        }
        tree = new JsonMutator(in).mutate(tree, in.below(4));
        return tree.toString();
    }

    private static JsonNode parseOr(JsonNode fallback, String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return fallback;
        }
    }

    // --- Retry-After ---------------------------------------------------------------------------------------------

    @FuzzTest
    void retryAfterHeaders(byte[] data) {
        FuzzInput in = new FuzzInput(data);
        String header = in.oneIn(8) ? in.text(40) : retryAfter(in);
        String shown = "Retry-After: '" + Inputs.visible(header) + "'";
        Duration got = AzureAnswers.retryAfter(header, NOW);
        if (got != null) {
            assertTrue(!got.isNegative() && got.compareTo(Duration.ofHours(1)) <= 0, "a wait of 0 s to 1 h: " + got + "\n" + shown);
        }
        Object expected = retryAfterOracle(header);
        if (expected instanceof Duration d) {
            assertEquals(d, got, shown);
        } else if (expected == SigfoxOracle.ERROR) {
            assertEquals(null, got, "an unreadable Retry-After is no wait: " + shown);
        }
    }

    private static final Pattern JSON_NUMBER = Pattern.compile("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?");

    private static boolean holdsNumber(String text, int value) {
        Matcher m = JSON_NUMBER.matcher(text);
        while (m.find()) {
            try {
                if (new BigDecimal(m.group()).compareTo(BigDecimal.valueOf(value)) == 0) {
                    return true;
                }
            } catch (NumberFormatException beyondBigDecimal) {
                // an exponent no BigDecimal holds is no error code
            }
        }
        return false;
    }

    private static final List<String> DAYS = List.of("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun");
    private static final List<String> MONTHS = List.of("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
            "Nov", "Dec");

    /** delta-seconds or an HTTP-date around now, as servers send them (and a little wrong). */
    private static String retryAfter(FuzzInput in) {
        switch (in.below(6)) {
            case 0:
                return Integer.toString(in.below(4000));
            case 1:
                return in.oneOf(List.of("0", "3", "-1", "+5", " 7 ", "1.5", "3600", "3601", "86400", "007",
                        "99999999999999999999", "9223372036854775807", "9223372036854775808", "", " ", "5s", "0x10", "1e3"));
            case 2: {
                ZonedDateTime t = NOW.atZone(ZoneOffset.UTC).plusSeconds(in.between(-100, 5000));
                String day = in.oneIn(8) ? in.oneOf(DAYS) : t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                return String.format("%s, %02d %s %04d %02d:%02d:%02d %s", day, t.getDayOfMonth(), MONTHS.get(t.getMonthValue() - 1),
                        t.getYear(), t.getHour(), t.getMinute(), t.getSecond(), in.oneIn(8) ? in.oneOf(List.of("UTC", "+0000", "+0100", "gmt")) : "GMT");
            }
            case 3: {
                // the obsolete forms every HTTP recipient must also read (RFC 9110 §5.6.7)
                ZonedDateTime t = NOW.atZone(ZoneOffset.UTC).plusSeconds(in.below(5000));
                return in.bool()
                        ? String.format("%s, %02d-%s-%02d %02d:%02d:%02d GMT", t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH),
                                t.getDayOfMonth(), MONTHS.get(t.getMonthValue() - 1), t.getYear() % 100, t.getHour(), t.getMinute(), t.getSecond())
                        : String.format("%s %s %2d %02d:%02d:%02d %04d", t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH),
                                MONTHS.get(t.getMonthValue() - 1), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond(), t.getYear());
            }
            case 4:
                return String.format("%s, %d %s %d %02d:%02d:%02d GMT", in.oneOf(DAYS), in.below(40), in.oneOf(MONTHS),
                        in.below(10_000), in.below(30), in.below(70), in.below(70));
            default:
                return in.from("0123456789 ,:+-GMTMonNov", 30);
        }
    }

    private static final Pattern DELTA = Pattern.compile("[0-9]+");
    private static final Pattern IMF_FIXDATE = Pattern.compile(
            "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([0-9]{4}) "
                    + "([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT");

    /**
     * Retry-After as RFC 9110 §10.2.3 defines it: delta-seconds ({@code 1*DIGIT}, a value too large to hold being
     * "a very long wait", RFC 9111 §1.2.2) or an IMF-fixdate; the bridge waits at most an hour. Other forms (the
     * obsolete dates, leniencies) are {@link SigfoxOracle#UNSPECIFIED}: only the range is checked.
     */
    private static Object retryAfterOracle(String header) {
        String v = header.strip();
        if (v.isEmpty()) {
            return SigfoxOracle.ERROR;
        }
        if (DELTA.matcher(v).matches()) {
            // by value, leading zeros and all: '0000000000000000' is no wait, not a number too long to be one
            java.math.BigInteger seconds = new java.math.BigInteger(v);
            return seconds.compareTo(java.math.BigInteger.valueOf(3600)) > 0 ? Duration.ofHours(1) : Duration.ofSeconds(seconds.longValue());
        }
        Matcher m = IMF_FIXDATE.matcher(v);
        if (m.matches()) {
            LocalDate date;
            try {
                date = LocalDate.of(Integer.parseInt(m.group(4)), MONTHS.indexOf(m.group(3)) + 1, Integer.parseInt(m.group(2)));
            } catch (java.time.DateTimeException e) {
                return SigfoxOracle.UNSPECIFIED;
            }
            int h = Integer.parseInt(m.group(5));
            int min = Integer.parseInt(m.group(6));
            int s = Integer.parseInt(m.group(7));
            if (h > 23 || min > 59 || s > 59 || !date.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH).equals(m.group(1))) {
                return SigfoxOracle.UNSPECIFIED;
            }
            Duration d = Duration.between(NOW, date.atTime(h, min, s).toInstant(ZoneOffset.UTC));
            return d.isNegative() ? Duration.ZERO : d.compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : d;
        }
        return SigfoxOracle.UNSPECIFIED;
    }

    // --- DPS answers ---------------------------------------------------------------------------------------------

    private static final String GROUP_KEY = Base64.getEncoder().encodeToString("fuzz-group-key-of-32-bytes-long!".getBytes(StandardCharsets.US_ASCII));
    private static final IotOptions OPTIONS = IotOptions.from(Settings.from(Map.of(
            "IOTC_ID_SCOPE", "0ne00FUZZ01", "IOTC_GROUP_KEY", GROUP_KEY)));
    private static final List<String> DEVICES = List.of("dev-1", "Sensor:7.a_b-");
    private static final List<String> HUBS = List.of("bridge-hub.azure-devices.net", "127.0.0.1:1", "hub:99999", "a/b", "u@h",
            "h?x", "-h", "h.", "", "x".repeat(300), "hub.azure-devices.net:443", "[::1]:8080");
    private static final List<String> STATES = List.of("assigned", "assigning", "unassigned", "failed", "disabled", "Assigned", "");
    /** DPS asked more often than this for one device in one call is a storm. */
    private static final int MAX_DPS_REQUESTS = 64;
    private static final Pattern HOST_PORT = Pattern.compile(
            "([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(:[0-9]{1,5})?");

    /** One scripted answer of DPS: a response, a response cut in its body, or no answer at all. */
    private record Answer(int status, Headers headers, byte[] body, int cutAfter, boolean unreachable) {
    }

    @FuzzTest
    void dpsAnswers(byte[] data) throws Exception {
        FuzzInput in = new FuzzInput(data);
        String deviceId = in.oneOf(DEVICES);
        List<Answer> script = new ArrayList<>();
        List<JsonNode> bodies = new ArrayList<>();
        int answers = 1 + in.below(6);
        for (int i = 0; i < answers; i++) {
            script.add(dpsAnswer(in, deviceId, bodies));
        }
        Optional<String> modelId = in.bool() ? Optional.of("dtmi:com:example:Sensor;1") : Optional.empty();
        StringBuilder shownScript = new StringBuilder("device " + deviceId);
        for (Answer a : script) {
            shownScript.append("\n  ").append(a.unreachable() ? "unreachable" : "HTTP " + a.status() + " " + a.headers().toMultimap()
                    + (a.cutAfter() >= 0 ? " cut after " + a.cutAfter() : "") + " " + Inputs.visible(a.body()));
        }
        String shown = shownScript.toString();

        FakeTime time = new FakeTime(NOW);
        List<String> requests = new ArrayList<>();
        Watch watch = Watch.get().secrets(Map.of(GROUP_KEY, "the group key"),
                Map.of(Base64.getEncoder().encodeToString(AzureAnswers.deviceKey(OPTIONS, deviceId)), "the device key"));
        watch.begin();
        OkHttpClient dps = new OkHttpClient.Builder().addInterceptor(chain -> {
            Request r = chain.request();
            synchronized (requests) {
                requests.add(r.method() + " " + r.url().encodedPath());
                String auth = r.header("Authorization");
                Matcher sig = Pattern.compile("sig=([^&]+)").matcher(auth == null ? "" : auth);
                if (sig.find()) {
                    watch.secretOfThisInput("a DPS token's signature", java.net.URLDecoder.decode(sig.group(1), StandardCharsets.UTF_8));
                }
                Answer a = script.get(Math.min(requests.size() - 1, script.size() - 1));
                return response(r, a);
            }
        }).build();
        try (AzureAnswers.Provisioning provisioning = AzureAnswers.provisioning(OPTIONS, dps, time, time, time,
                Settings.from(Map.of()).requestBudget())) {
            try {
                AzureAnswers.Link link = provisioning.link(deviceId, modelId);
                assertEquals(deviceId, link.deviceId(), "the hub device id is the registration id, exactly\n" + shown);
                assertTrue(HOST_PORT.matcher(link.hub()).matches(), "the hub is a host[:port]: '" + Inputs.visible(link.hub()) + "'\n" + shown);
                int port = link.hub().contains(":") ? Integer.parseInt(link.hub().substring(link.hub().indexOf(':') + 1)) : 443;
                assertTrue(port >= 1 && port <= 65535, "the hub's port is a port: " + link.hub() + "\n" + shown);
                assertTrue(bodies.stream().anyMatch(b -> link.hub().equals(b.path("assignedHub").asText(null))
                                || link.hub().equals(b.path("registrationState").path("assignedHub").asText(null))),
                        "the hub is one DPS named: " + link.hub() + "\n" + shown);
            } catch (BridgeException e) {
                watch.see(e.getMessage());
                CallerText.check("the " + e.status(), e.getMessage(), shown);
                assertTrue(List.of(400, 403, 429, 500, 502, 503).contains(e.status()), "a DPS failure is answered 400, 403, 429, 500,"
                        + " 502 or 503, not " + e.status() + ": " + e.getMessage() + "\n" + shown);
                if (e.getMessage().contains(CANARY) && bodies.stream().noneMatch(AzureAnswersFuzzTest::namesCanaryWhereShown)) {
                    fail("DPS's free text reached the caller: " + e.getMessage() + "\n" + shown);
                }
            }
        }
        synchronized (requests) {
            assertTrue(requests.size() <= MAX_DPS_REQUESTS, "one call asked DPS " + requests.size() + " times: " + requests + "\n" + shown);
        }
        watch.end(shown);
    }

    /** Whether the canary sits in a field the bridge names in its messages (status, device id, hub): no leak then. */
    private static boolean namesCanaryWhereShown(JsonNode body) {
        JsonNode state = body.has("registrationState") ? body.get("registrationState") : body;
        return List.of(body.path("status"), state.path("status"), state.path("deviceId"), state.path("assignedHub")).stream()
                .anyMatch(n -> n.asText("").contains(CANARY));
    }

    private static Answer dpsAnswer(FuzzInput in, String deviceId, List<JsonNode> bodies) {
        if (in.oneIn(8)) {
            return new Answer(0, Headers.of(), new byte[0], -1, true);
        }
        int status = in.oneIn(4) ? in.oneOf(List.of(400, 401, 403, 404, 409, 429, 500, 503, 302, 204)) : in.bool() ? 200 : 202;
        Headers.Builder h = new Headers.Builder();
        if (in.bool()) {
            h.add("Retry-After", retryAfter(in).replaceAll("[^ -~]", "?"));
        }
        if (in.oneIn(4)) {
            h.add("x-ms-error-code", in.oneOf(CODES).replace("\"", ""));
        }
        String hub = in.oneIn(4) ? in.oneOf(HUBS) : HUBS.get(0);
        String dev = in.oneIn(8) ? in.oneOf(List.of(deviceId.toUpperCase(Locale.ROOT), "other", "")) : deviceId;
        ObjectNode state = F.objectNode().put("registrationId", deviceId).put("createdDateTimeUtc", "2026-11-27T10:00:00Z")
                .put("assignedHub", hub).put("deviceId", dev).put("status", in.oneOf(STATES)).put("substatus", "initialAssignment")
                .put("lastUpdatedDateTimeUtc", "2026-11-27T10:00:01Z").put("etag", "\"" + CANARY + "\"");
        if (in.oneIn(4)) {
            state.put("errorCode", in.oneOf(List.of(400209, 400004, 401002, 0, -1))).put("errorMessage", "blocked " + CANARY);
        }
        JsonNode body = switch (in.below(4)) {
            case 0 -> state; // a status lookup's answer
            case 1 -> F.objectNode().put("errorCode", in.oneOf(List.of(401002, 404201, 429001, 500000, 400004)))
                    .put("trackingId", CANARY).put("message", "DPS says " + CANARY).put("timestampUtc", "2026-11-27T10:00:00Z");
            default -> F.objectNode().put("operationId", in.oneIn(8) ? "" : "4.d0f1e2c3.op-" + in.below(100))
                    .put("status", in.oneOf(STATES)).set("registrationState", state);
        };
        body = new JsonMutator(in).mutate(body, in.below(4));
        bodies.add(body);
        byte[] bytes = in.oneIn(16) ? in.bytes(40) : body.toString().getBytes(StandardCharsets.UTF_8);
        return new Answer(status, h.build(), bytes, in.oneIn(8) ? in.below(bytes.length + 1) : -1, false);
    }

    private static Response response(Request request, Answer a) throws IOException {
        if (a.unreachable()) {
            throw new java.net.ConnectException("scripted: DPS unreachable");
        }
        Buffer content = new Buffer().write(a.body());
        BufferedSource source = a.cutAfter() < 0 ? content : Okio.buffer(new ForwardingSource(content) {
            private long read;

            @Override
            public long read(Buffer sink, long byteCount) throws IOException {
                if (read >= a.cutAfter()) {
                    throw new java.net.SocketException("scripted: connection reset in the body");
                }
                long n = super.read(sink, Math.min(byteCount, a.cutAfter() - read));
                read += Math.max(n, 0);
                return n;
            }
        });
        return new Response.Builder().request(request).protocol(Protocol.HTTP_1_1).code(a.status()).message("scripted")
                .headers(a.headers())
                .body(ResponseBody.create(source, MediaType.get("application/json; charset=utf-8"), a.cutAfter() < 0 ? a.body().length : -1))
                .build();
    }

    /** Wall time and elapsed time in one, moved only by the waits the bridge asks for; a wait that is interrupted ends. */
    static final class FakeTime implements InstantSource, Ticker, Sleeper {
        private final Instant start;
        private final AtomicLong elapsed = new AtomicLong();

        FakeTime(Instant start) {
            this.start = start;
        }

        @Override
        public Instant instant() {
            return start.plusNanos(elapsed.get());
        }

        @Override
        public long read() {
            return elapsed.get();
        }

        @Override
        public void sleep(Duration d) throws InterruptedException {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            elapsed.addAndGet(d.toNanos());
        }
    }
}
