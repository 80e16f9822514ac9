package dev.iotcbridge.iot;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BridgeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.random.RandomGenerator;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * WireMock DPS and two hubs over plain HTTP, fake time, and a watch on logs and answers for secrets. Subclasses are
 * the scenario tests.
 */
abstract class IotRig {

    static final String SCOPE = "0ne00000001";
    static final String PRIMARY = SasTokenTest.GROUP_KEY;
    /** base64 of bytes 0x20..0x3f */
    static final String SECONDARY;
    static final String DPS_API = "2021-10-01";
    static final String HUB_API = "2021-04-12";

    static {
        byte[] b = new byte[32];
        for (int i = 0; i < 32; i++) {
            b[i] = (byte) (0x20 + i);
        }
        SECONDARY = Base64.getEncoder().encodeToString(b);
    }

    static WireMockServer dps;
    static WireMockServer hubA;
    static WireMockServer hubB;

    final FakeTime time = new FakeTime(Instant.parse("2026-11-27T10:00:00Z"));
    /**
     * The senders' scheduler: DPS polls, DPS back-offs, queued registrations, call budgets and hub back-offs wait
     * here, on {@link #time}, moved by the rig's driver (below), never slept on. It records every delay asked for.
     */
    final DrivenScheduler scheduler = new DrivenScheduler(time);
    /** The back-off's jitter: by default the longest wait full jitter can draw (the ceiling), so waits are exact. */
    RandomGenerator jitter = highestDraw();
    private final List<Duration> ranWaits = new ArrayList<>();
    /** {@link #scheduler}, recording the delay of every task that ran (a budget timer that was called off did not). */
    final Scheduler recordingScheduler = (delay, task) -> scheduler.schedule(delay, () -> {
        synchronized (ranWaits) {
            ranWaits.add(delay);
        }
        task.run();
    });
    private volatile boolean holdTime;
    private volatile boolean driving;
    private volatile boolean driverBusy;
    private Thread driver;
    final List<IotHubSender> senders = new ArrayList<>();
    private final Set<String> deviceIds = ConcurrentHashMap.newKeySet();
    private final List<String> logLines = new ArrayList<>();
    private final Handler logHandler = new Handler() {
        private final SimpleFormatter f = new SimpleFormatter();

        @Override
        public void publish(LogRecord r) {
            synchronized (logLines) {
                logLines.add(f.format(r));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    static void startServers() {
        dps = new WireMockServer(options().dynamicPort());
        hubA = new WireMockServer(options().dynamicPort());
        hubB = new WireMockServer(options().dynamicPort());
        dps.start();
        hubA.start();
        hubB.start();
    }

    @AfterAll
    static void stopServers() {
        dps.stop();
        hubA.stop();
        hubB.stop();
    }

    @BeforeEach
    void resetServersAndWatchLogs() {
        dps.resetAll();
        hubA.resetAll();
        hubB.resetAll();
        Logger iot = Logger.getLogger("dev.iotcbridge.iot");
        iot.setLevel(Level.ALL);
        iot.addHandler(logHandler);
    }

    @AfterEach
    void closeAndCheckLogs() throws InterruptedException {
        driving = false;
        if (driver != null) {
            driver.join(10_000);
        }
        senders.forEach(IotHubSender::close);
        Logger.getLogger("dev.iotcbridge.iot").removeHandler(logHandler);
        synchronized (logLines) {
            for (String line : logLines) {
                assertNoSecret(line);
            }
        }
    }

    // ---- the sender

    Map<String, String> settings() {
        Map<String, String> m = new HashMap<>();
        m.put("IOTC_ID_SCOPE", SCOPE);
        m.put("IOTC_GROUP_KEY", PRIMARY);
        m.put("IOTC_DPS_HOST", "127.0.0.1:" + dps.port());
        m.put("BRIDGE_ALLOW_HTTP", "true");
        return m;
    }

    IotHubSender sender() {
        return sender(settings(), UnaryOperator.identity());
    }

    IotHubSender sender(Map<String, String> settings, UnaryOperator<IotOptions> tune) {
        IotHubSender s = IotHubSender.builder(tune.apply(IotOptions.from(Settings.from(settings))))
                .clock(time).ticker(time).scheduler(recordingScheduler).random(jitter).build();
        senders.add(s);
        watchDps(() -> s.links().dpsRequestsInFlight());
        return s;
    }

    /**
     * {@code sender.sendAsync(message, BUDGET)}, waited for while the rig's driver moves the fake time through its
     * back-offs; throws what the call would be answered with.
     */
    void deliver(IotHubSender sender, DeviceMessage message) {
        deliver(sender, message, BUDGET);
    }

    /** Draws the largest value a bound allows: a back-off waits its whole ceiling. */
    static RandomGenerator highestDraw() {
        return dev.iotcbridge.testing.Draws.highest();
    }

    // ---- time: the scheduler's tasks run when DPS is quiet, on fake time, never slept on

    /**
     * Moves fake time to the next scheduled task whenever no DPS request is on the wire: what a real clock would do
     * while the bridge waits, without the waiting. Only scheduled tasks move time, and only while DPS is quiet, so a
     * wait is exactly what the bridge scheduled (a DPS answer in flight never sees time jump). Off while
     * {@link #holdTime()} holds it.
     */
    private synchronized void startDriver() {
        if (driver != null) {
            return;
        }
        driving = true;
        driver = new Thread(() -> {
            while (driving) {
                driverBusy = true; // before looking: a task taken off the queue is not yet running, nor yet visible
                // Quiet before and after looking. A DPS answer schedules (its poll) or cancels (a budget timer) before
                // it stops counting as in flight, so quiet first means the queue seen is complete; a caller counts its
                // DPS request before it schedules its budget timer, so quiet after means no request started meanwhile
                // whose timer was seen. One check alone let a call's budget run out while its lookup was on the wire.
                boolean ran = false;
                if (!holdTime && quiet()) {
                    java.util.OptionalLong next = scheduler.nextDue();
                    ran = next.isPresent() && quiet() && scheduler.runNext(next.getAsLong());
                }
                driverBusy = false;
                if (!ran) {
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000); // polling for quiet, not waiting for time
                }
            }
        }, "fake-time-driver");
        driver.setDaemon(true);
        driver.start();
    }

    private final List<java.util.function.IntSupplier> dpsRequests = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Also waits for this DPS client's requests before moving time (tests that build the provisioning themselves). */
    void watchDps(java.util.function.IntSupplier requestsInFlight) {
        dpsRequests.add(requestsInFlight);
        startDriver();
    }

    private boolean quiet() {
        return dpsRequests.stream().allMatch(r -> r.getAsInt() == 0);
    }

    /** The outcome of {@code f}, with time driven meanwhile; what it failed with is thrown as it is. */
    <T> T drive(java.util.concurrent.CompletableFuture<T> f) throws Exception {
        startDriver();
        try {
            return f.get(20, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = dev.iotcbridge.error.Completion.cause(e.getCause());
            if (cause instanceof Exception x) {
                throw x;
            }
            throw new AssertionError(cause);
        }
    }

    /** Stops time where it is (scheduled tasks wait) until {@link #releaseTime()}. */
    void holdTime() {
        holdTime = true;
    }

    void releaseTime() {
        holdTime = false;
    }

    /** Until DPS is quiet and nothing is scheduled: every registration the calls left behind has ended. */
    void awaitSettled() {
        long give = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (!(!driverBusy && quiet() && scheduler.nextDue().isEmpty() && !driverBusy)) {
            if (System.nanoTime() > give) {
                throw new AssertionError("the bridge did not settle: " + scheduler.pending() + " tasks scheduled");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
    }

    /** The delays of the scheduled tasks that ran: DPS polls and back-offs (and any budget that ran out). */
    List<Duration> scheduledWaits() {
        synchronized (ranWaits) {
            return List.copyOf(ranWaits);
        }
    }

    /**
     * One webhook call through the sender's asynchronous entry, as the call's thread waits for it: what it throws is
     * what the caller would be answered.
     */
    static void deliver(IotHubSender sender, DeviceMessage message, Duration budget) {
        try {
            sender.sendAsync(message, budget).get(20, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = dev.iotcbridge.error.Completion.cause(e.getCause());
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new AssertionError(cause);
        } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
            throw new AssertionError("the call did not end", e);
        }
    }

    DeviceMessage message(String deviceId) {
        return message(deviceId, "{\"temperature\":21.5}");
    }

    DeviceMessage message(String deviceId, String json) {
        deviceIds.add(deviceId);
        return new DeviceMessage(deviceId, Optional.empty(), json.getBytes(StandardCharsets.UTF_8),
                Optional.empty(), Optional.empty(), Optional.empty(), Map.of());
    }

    DeviceMessage withModel(String deviceId, String modelId) {
        deviceIds.add(deviceId);
        return new DeviceMessage(deviceId, Optional.of(modelId), "{\"t\":1}".getBytes(StandardCharsets.UTF_8),
                Optional.empty(), Optional.empty(), Optional.empty(), Map.of());
    }

    /**
     * The call budget in tests. It runs on the fake ticker, but its remainder also becomes OkHttp's real call timeout:
     * generous, so that a loaded CI machine cannot time out a loopback request after a fake 3 s DPS poll.
     */
    static final Duration BUDGET = Duration.ofSeconds(10);

    // ---- DPS and hub stubs

    static String hubName(WireMockServer hub) {
        return "127.0.0.1:" + hub.port();
    }

    static String lookupUrl(String id) {
        return "/" + SCOPE + "/registrations/" + id + "?api-version=" + DPS_API;
    }

    static String registerUrl(String id) {
        return "/" + SCOPE + "/registrations/" + id + "/register?api-version=" + DPS_API;
    }

    static String pollUrl(String id, String op) {
        return "/" + SCOPE + "/registrations/" + id + "/operations/" + op + "?api-version=" + DPS_API;
    }

    static String eventsUrl(String id) {
        return "/devices/" + id + "/messages/events?api-version=" + HUB_API;
    }

    static String registrationState(String id, String hub) {
        return "{\"registrationId\":\"" + id + "\",\"createdDateTimeUtc\":\"2026-11-27T09:00:00Z\",\"assignedHub\":\"" + hub
                + "\",\"deviceId\":\"" + id + "\",\"status\":\"assigned\",\"substatus\":\"initialAssignment\","
                + "\"lastUpdatedDateTimeUtc\":\"2026-11-27T09:00:00Z\",\"etag\":\"IjAwMDAi\"}";
    }

    static String assignedOperation(String id, String hub) {
        return "{\"operationId\":\"5.316aac5bdc130deb.op-" + id + "\",\"status\":\"assigned\",\"registrationState\":"
                + registrationState(id, hub) + "}";
    }

    static ResponseDefinitionBuilder json(int status, String body) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json; charset=utf-8").withBody(body);
    }

    static void lookupUnknown(String id) {
        dps.stubFor(post(urlEqualTo(lookupUrl(id))).willReturn(json(404,
                "{\"errorCode\":404201,\"trackingId\":\"t\",\"message\":\"Not found\",\"timestampUtc\":\"2026-11-27T10:00:00Z\"}")));
    }

    static void lookupAssigned(String id, WireMockServer hub) {
        dps.stubFor(post(urlEqualTo(lookupUrl(id))).willReturn(json(200, registrationState(id, hubName(hub)))));
    }

    static void registerAssigned(String id, WireMockServer hub) {
        dps.stubFor(put(urlEqualTo(registerUrl(id))).willReturn(json(200, assignedOperation(id, hubName(hub)))));
    }

    /** PUT answers 202 assigning with Retry-After; the poll answers assigned. */
    static void registerViaPoll(String id, WireMockServer hub, int retryAfter) {
        String op = "5.316aac5bdc130deb.op-" + id;
        dps.stubFor(put(urlEqualTo(registerUrl(id))).willReturn(json(202,
                "{\"operationId\":\"" + op + "\",\"status\":\"assigning\"}").withHeader("Retry-After", Integer.toString(retryAfter))));
        dps.stubFor(get(urlEqualTo(pollUrl(id, op))).willReturn(json(200, assignedOperation(id, hubName(hub)))));
    }

    static MappingBuilder events(String id) {
        return post(urlEqualTo(eventsUrl(id)));
    }

    /** The hub takes the device's first message, then no longer knows it (IoT Central moved it): 404 DeviceNotFound. */
    static void hubAcceptsOnceThenForgets(WireMockServer hub, String id) {
        hub.stubFor(events(id).inScenario("moved").whenScenarioStateIs(com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED)
                .willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(204)).willSetStateTo("moved"));
        hub.stubFor(events(id).inScenario("moved").whenScenarioStateIs("moved").willReturn(json(404, deviceNotFound(id))));
    }

    static void hubAccepts(WireMockServer hub, String id) {
        hub.stubFor(events(id).willReturn(aResponse().withStatus(204)));
    }

    static String deviceNotFound(String id) {
        return "{\"Message\":\"ErrorCode:DeviceNotFound;Device " + id + " is not registered\","
                + "\"ExceptionMessage\":\"Tracking ID:abc-G:10-TimeStamp:11/27/2026 10:00:00\"}";
    }

    static int count(WireMockServer server, String method, String url) {
        int n = 0;
        for (LoggedRequest r : server.findAll(com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor(urlEqualTo(url)))) {
            if (r.getMethod().getName().equals(method)) {
                n++;
            }
        }
        return n;
    }

    static List<LoggedRequest> requests(WireMockServer server, String method, String url) {
        List<LoggedRequest> out = new ArrayList<>();
        for (LoggedRequest r : server.findAll(com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor(urlEqualTo(url)))) {
            if (r.getMethod().getName().equals(method)) {
                out.add(r);
            }
        }
        return out;
    }

    // ---- secrets

    /** What must never appear in an answer or a log line. */
    List<String> secrets() {
        List<String> s = new ArrayList<>(List.of(PRIMARY, SECONDARY, "SharedAccessSignature", "sig="));
        for (String id : deviceIds) {
            s.add(Base64.getEncoder().encodeToString(TestSas.deviceKey(PRIMARY, id)));
            s.add(Base64.getEncoder().encodeToString(TestSas.deviceKey(SECONDARY, id)));
        }
        return s;
    }

    void assertNoSecret(String text) {
        for (String secret : secrets()) {
            assertFalse(text.contains(secret), "secret leaked into: " + text);
        }
    }

    /** The answer a caller would see: status, message and Retry-After, checked for secrets. */
    <T extends BridgeException> T safe(T e) {
        assertNoSecret(String.valueOf(e.getMessage()));
        assertNoSecret(e.toString());
        return e;
    }
}
