package dev.iotcbridge.queue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueClientBuilder;
import com.azure.storage.queue.QueueMessageEncoding;
import com.azure.storage.queue.models.QueueMessageItem;
import dev.iotcbridge.config.Secret;
import dev.iotcbridge.iot.Sleeper;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.DeviceRefusedException;
import dev.iotcbridge.error.TryLaterException;
import dev.iotcbridge.iot.DeviceMessage;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Durable mode end to end against a real Azurite: intake, the delivery worker, the poison queue. */
@ExtendWith(Azurite.class)
class DurableDeliveryTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final Clock CLOCK = Clock.systemUTC();

    private final FakeHub hub = new FakeHub();
    private Azurite.Service azurite;
    private QueueConnection connection;
    private QueueIntake intake;
    private final List<DeliveryWorker> workers = new ArrayList<>();

    @BeforeEach
    void connect(Azurite.Service azurite) {
        this.azurite = azurite;
        String name = azurite.newQueueName();
        connection = QueueConnection.open(azurite.connectionString(), name, name + "-poison", Duration.ofSeconds(5), CLOCK);
        intake = new QueueIntake(connection.queue(), new QueueItems(CLOCK));
    }

    @AfterEach
    void stop() {
        workers.forEach(DeliveryWorker::close);
    }

    /** Storage's visibility timeout counts whole seconds, so 1 s is the shortest back-off that is not "at once". */
    private DeliveryWorker worker(int maxDequeueCount, int concurrency) {
        QueueOptions options = new QueueOptions(maxDequeueCount, Duration.ofSeconds(1), Duration.ofSeconds(1), concurrency,
                Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMillis(10), Duration.ofMillis(50));
        DeliveryWorker w = new DeliveryWorker(connection.queue(), connection.poison(), QueueDelivery.of(hub, options, CLOCK),
                options, new SplittableRandom(7), Sleeper.SYSTEM);
        workers.add(w);
        return w.start();
    }

    @Test
    void aMessageAcceptedWhileTheHubIsDownIsDeliveredOnceItIsBack() {
        hub.failWhen(m -> new TryLaterException(503, "IoT hub unavailable", Duration.ZERO));
        DeliveryWorker worker = worker(10, 2);
        DeviceMessage sent = message("a84041000181c150", Optional.of("ttn-a84041000181c150-4711"));

        List<String> ids = intake.enqueue("ttn", List.of(sent));

        assertEquals(List.of("ttn-a84041000181c150-4711"), ids);
        Eventually.until(DEADLINE, () -> worker.counts().retried() >= 1, () -> "a failed delivery, got " + worker.counts());
        assertTrue(hub.accepted().isEmpty());
        assertEquals(1, queueLength(connection.queue()), "the message waits on the queue while the hub is down");

        hub.recover();

        Eventually.until(DEADLINE, () -> hub.accepted().size() == 1, () -> "delivery after recovery");
        DeviceMessage delivered = hub.accepted().get("ttn-a84041000181c150-4711");
        assertArrayEquals(sent.body(), delivered.body());
        assertEquals(sent.modelId(), delivered.modelId());
        assertEquals(sent.creationTimeUtc(), delivered.creationTimeUtc());
        assertEquals(sent.properties(), delivered.properties());
        assertTrue(hub.attempts("ttn-a84041000181c150-4711") >= 2);
        Eventually.until(DEADLINE, () -> queueLength(connection.queue()) == 0, () -> "the delivered message deleted");
        assertEquals(1, hub.acceptedCount("ttn-a84041000181c150-4711"));
        assertEquals(0, queueLength(connection.poison()));
    }

    @Test
    void permanentFailuresGoToThePoisonQueueWithTheirReasonWithoutRetries() {
        hub.failWhen(m -> switch (m.deviceId()) {
            case "blocked-1" -> new DeviceRefusedException("device 'blocked-1' is blocked in IoT Central", Duration.ofMinutes(1));
            case "refused-1" -> BadInputException.badRequest("the hub refused the message: property name too long");
            default -> null;
        });
        DeliveryWorker worker = worker(10, 2);

        List<String> ids = intake.enqueue("ttn", List.of(message("blocked-1", Optional.empty()),
                message("refused-1", Optional.empty()), message("fine-1", Optional.empty())));

        Eventually.until(DEADLINE, () -> worker.counts().poisoned() == 2 && worker.counts().delivered() == 1,
                () -> "two poisoned, one delivered; got " + worker.counts());
        Map<String, PoisonEntry> poisoned = poisonByMessageId(2);
        PoisonReason blocked = poisoned.get(ids.get(0)).reason().orElseThrow();
        assertEquals(403, blocked.status());
        assertEquals("device 'blocked-1' is blocked in IoT Central", blocked.error());
        assertEquals(1, blocked.attempts());
        PoisonReason refused = poisoned.get(ids.get(1)).reason().orElseThrow();
        assertEquals(400, refused.status());
        assertEquals("the hub refused the message: property name too long", refused.error());
        assertEquals(1, hub.attempts(ids.get(0)), "no retry burnt on a blocked device");
        assertEquals(1, hub.attempts(ids.get(1)));
        assertEquals(Set.of(ids.get(2)), hub.accepted().keySet());
        assertEquals(0, queueLength(connection.queue()));
        connection.poison().peekMessages(32, null, null).forEach(p -> assertTrue(
                p.getExpirationTime().getYear() >= 9999, "a poison entry waits for an operator: " + p.getExpirationTime()));
    }

    @Test
    void aMessageThatKeepsFailingTransientlyGoesToThePoisonQueueAfterMaxDequeueCount() {
        hub.failWhen(m -> new TryLaterException(429, "IoT hub throttled the device", Duration.ZERO));
        DeliveryWorker worker = worker(2, 1);

        String id = intake.enqueue("ttn", List.of(message("throttled-1", Optional.empty()))).get(0);

        Eventually.until(DEADLINE, () -> worker.counts().poisoned() == 1, () -> "poisoned, got " + worker.counts());
        PoisonReason reason = poisonByMessageId(1).get(id).reason().orElseThrow();
        assertEquals(429, reason.status());
        assertEquals(2, reason.attempts());
        assertEquals("gave up after 2 deliveries: IoT hub throttled the device", reason.error());
        assertEquals(2, hub.attempts(id));
        assertEquals(0, queueLength(connection.queue()));
    }

    @Test
    void aBurstOfAThousandCallsIsDeliveredExactlyOnceEach() throws Exception {
        // every 50th message is throttled on its first delivery: retries happen under load too
        Set<String> throttledOnce = ConcurrentHashMap.newKeySet();
        hub.failWhen(m -> m.deviceId().endsWith("-0") && throttledOnce.add(m.messageId().orElseThrow())
                ? new TryLaterException(429, "throttled", Duration.ZERO) : null);
        DeliveryWorker worker = worker(5, 8);
        int calls = 1_000;
        ExecutorService senders = Executors.newFixedThreadPool(8);
        List<Future<List<String>>> answers = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            int n = i;
            // half the transforms give a messageId, half do not (the bridge generates one)
            Optional<String> id = n % 2 == 0 ? Optional.of("burst-" + n) : Optional.empty();
            answers.add(senders.submit(() -> intake.enqueue("ttn", List.of(message("dev-" + (n % 50), id)))));
        }
        Set<String> ids = new HashSet<>();
        for (Future<List<String>> a : answers) {
            ids.addAll(a.get(60, TimeUnit.SECONDS));
        }
        long accepted = System.nanoTime();
        senders.shutdown();
        assertEquals(calls, ids.size(), "every call got its own message id");

        Eventually.until(DEADLINE, () -> hub.accepted().size() == calls,
                () -> calls + " delivered, got " + hub.accepted().size() + " and " + worker.counts());
        System.out.printf("burst: %d calls accepted in %d ms (8 senders), all delivered %d ms after the first call%n",
                calls, (accepted - start) / 1_000_000, (System.nanoTime() - start) / 1_000_000);
        assertEquals(ids, hub.accepted().keySet());
        List<String> duplicated = ids.stream().filter(id -> hub.acceptedCount(id) != 1).collect(Collectors.toList());
        assertEquals(List.of(), duplicated, "each message reaches the hub exactly once");
        assertEquals(calls / 50, throttledOnce.size());
        Eventually.until(DEADLINE, () -> queueLength(connection.queue()) == 0, () -> "queue drained");
        assertEquals(0, queueLength(connection.poison()));
    }

    @Test
    void aCallWithAMessageTooLargeForTheQueueIsRefusedWholeWith413() {
        DeviceMessage small = message("dev-1", Optional.empty());
        DeviceMessage large = DeviceMessage.of("dev-2", telemetryOfSize(QueueMessageCodec.MAX_ITEM_BYTES));

        BadInputException e = assertThrows(BadInputException.class, () -> intake.enqueue("ttn", List.of(small, large)));

        assertEquals(413, e.status());
        assertTrue(e.getMessage().contains("dev-2") && e.getMessage().contains("47104 bytes"), e.getMessage());
        assertEquals(0, queueLength(connection.queue()), "nothing of the call was queued");
    }

    @Test
    void theLargestQueueableMessageIsDeliveredByteForByteAndStillFitsThePoisonQueue() {
        byte[] body = largestBody("dev-big");
        hub.failWhen(m -> m.deviceId().equals("blocked-big")
                ? new DeviceRefusedException(("device is blocked ").repeat(30), Duration.ofMinutes(1)) : null);
        DeliveryWorker worker = worker(3, 2);

        String delivered = intake.enqueue("ttn", List.of(message("dev-big", body))).get(0);
        String poisoned = intake.enqueue("ttn", List.of(message("blocked-big", largestBody("blocked-big")))).get(0);

        Eventually.until(DEADLINE, () -> worker.counts().delivered() == 1 && worker.counts().poisoned() == 1,
                () -> "one delivered, one poisoned; got " + worker.counts());
        assertArrayEquals(body, hub.accepted().get(delivered).body());
        PoisonEntry entry = poisonByMessageId(1).get(poisoned);
        assertEquals(403, entry.reason().orElseThrow().status());
        assertEquals(poisoned, new QueueMessageCodec().decode(entry.itemText()).messageId());
    }

    @Test
    void messagesThatAreNotTheBridgesGoToThePoisonQueueInsteadOfBlockingIt() {
        DeliveryWorker worker = worker(5, 2);
        QueueClient plain = new QueueClientBuilder().connectionString(azurite.connectionString().reveal())
                .queueName(connection.queue().getQueueName()).messageEncoding(QueueMessageEncoding.NONE).buildClient();
        plain.sendMessage("not base64 at all!");
        connection.queue().sendMessage("{\"hello\":\"world\"}");
        String id = intake.enqueue("ttn", List.of(message("dev-1", Optional.empty()))).get(0);

        Eventually.until(DEADLINE, () -> hub.accepted().containsKey(id) && queueLength(connection.poison()) == 2
                        && queueLength(connection.queue()) == 0,
                () -> "the bridge's message delivered and both foreign ones poisoned; got " + worker.counts()
                        + ", poison " + queueLength(connection.poison()));
        Map<String, PoisonReason> reasons = new ConcurrentHashMap<>();
        QueueMessageCodec codec = new QueueMessageCodec();
        connection.poison().peekMessages(32, null, null).forEach(p -> {
            PoisonEntry e = codec.decodePoison(p.getBody().toString());
            reasons.put(e.itemText(), e.reason().orElseThrow());
        });
        assertEquals(400, reasons.get("not base64 at all!").status());
        assertTrue(reasons.get("not base64 at all!").error().contains("not Base64"));
        assertEquals(400, reasons.get("{\"hello\":\"world\"}").status());
        assertTrue(reasons.get("{\"hello\":\"world\"}").error().startsWith("the queue item is not a bridge message"));
    }

    @Test
    void intakeAnswers503WithRetryAfterWhenTheQueueIsUnreachable() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Secret unreachable = Secret.of(azurite.connectionString().reveal().replace(":" + azurite.port() + "/", ":" + closedPort + "/"));
        QueueClient queue = new QueueClientBuilder().connectionString(unreachable.reveal()).queueName("unreachable")
                .messageEncoding(QueueMessageEncoding.BASE64)
                .retryOptions(new com.azure.storage.common.policy.RequestRetryOptions(
                        com.azure.storage.common.policy.RetryPolicyType.FIXED, 2, Duration.ofSeconds(2),
                        Duration.ofMillis(10), Duration.ofMillis(10), null))
                .buildClient();
        QueueIntake down = new QueueIntake(queue, new QueueItems(CLOCK));

        TryLaterException e = assertThrows(TryLaterException.class,
                () -> down.enqueue("ttn", List.of(message("dev-1", Optional.empty()))));

        assertEquals(503, e.status());
        assertEquals(Optional.of(QueueIntake.QUEUE_RETRY_AFTER), e.retryAfter());
        assertTrue(e.getMessage().contains("0 of 1 queued"), e.getMessage());
        assertTrue(!e.getMessage().contains("AccountKey") && !e.getMessage().contains("127.0.0.1"), e.getMessage());
    }

    @Test
    void aWrongAccountKeyStopsTheStartWithAReasonThatDoesNotQuoteTheKey() {
        String wrongKey = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ==";
        Secret wrong = Secret.of(azurite.connectionString().reveal().replaceAll("AccountKey=[^;]+", "AccountKey=" + wrongKey));

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> QueueConnection.open(wrong, "keyed", "keyed-poison", Duration.ofSeconds(5), CLOCK));

        assertTrue(e.getMessage().startsWith("durable mode cannot create its queues 'keyed' and 'keyed-poison' at devstoreaccount1 "),
                e.getMessage());
        assertTrue(e.getMessage().contains("Storage answered 403 AuthenticationFailed"), e.getMessage());
        assertTrue(!e.getMessage().contains(wrongKey), e.getMessage());
    }

    @Test
    void aConnectionStringThatIsNoneIsNamedWithoutBeingQuoted() {
        Exception e = assertThrows(dev.iotcbridge.config.InvalidSettingException.class, () -> QueueConnection.open(
                Secret.of("AccountKey=c2VjcmV0;nonsense"), "q-1", "q-1-poison", Duration.ofSeconds(5), CLOCK));

        assertTrue(e.getMessage().startsWith("BRIDGE_QUEUE_CONNECTION is not an Azure Storage connection string"), e.getMessage());
        assertTrue(!e.getMessage().contains("c2VjcmV0"), e.getMessage());
    }

    @Test
    void closeLetsDeliveriesInProgressFinishAndLeavesTheRestQueued() throws Exception {
        CountDownLatch inHub = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        hub.failWhen(m -> {
            inHub.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        DeliveryWorker worker = worker(5, 1);
        String first = intake.enqueue("ttn", List.of(message("dev-1", Optional.empty()))).get(0);
        assertTrue(inHub.await(DEADLINE.toSeconds(), TimeUnit.SECONDS));
        intake.enqueue("ttn", List.of(message("dev-2", Optional.empty())));

        Thread closing = new Thread(worker::close);
        closing.start();
        // release the hub only once close() waits for the delivery in progress: released earlier, the freed worker
        // could receive dev-2 before close() has stopped the poller, which is not what this test is about
        long give = System.nanoTime() + DEADLINE.toNanos();
        while (closing.getState() != Thread.State.TIMED_WAITING && closing.getState() != Thread.State.WAITING
                && closing.isAlive() && System.nanoTime() < give) {
            Thread.onSpinWait();
        }
        release.countDown();
        closing.join(DEADLINE.toMillis());

        assertTrue(!closing.isAlive(), "close() returned");
        assertEquals(Set.of(first), hub.accepted().keySet(), "the delivery in progress finished");
        assertEquals(1, worker.counts().delivered());
        List<QueueMessageItem> left = new ArrayList<>();
        connection.queue().receiveMessages(32).forEach(left::add);
        assertEquals(1, left.size(), "the message not yet received stays queued");
    }

    private Map<String, PoisonEntry> poisonByMessageId(int expected) {
        QueueMessageCodec codec = new QueueMessageCodec();
        Map<String, PoisonEntry> byId = new ConcurrentHashMap<>();
        connection.poison().peekMessages(32, null, null).forEach(p -> {
            PoisonEntry e = codec.decodePoison(p.getBody().toString());
            byId.put(codec.decode(e.itemText()).messageId(), e);
        });
        assertEquals(expected, byId.size(), "poison entries: " + byId);
        byId.values().forEach(e -> assertNotNull(e.reason().orElse(null), "every entry the bridge writes has a reason"));
        return byId;
    }

    private static int queueLength(QueueClient queue) {
        return queue.getProperties().getApproximateMessagesCount();
    }

    static DeviceMessage message(String deviceId, Optional<String> messageId) {
        return new DeviceMessage(deviceId, Optional.of("dtmi:com:example:Sensor;1"),
                "{\"temperature\":21.5,\"humidity\":40,\"note\":\"r\\u00e9sum\\u00e9 \u00e9t\u00e9\"}".getBytes(StandardCharsets.UTF_8),
                Optional.of("2026-11-27T10:00:00.123Z"), Optional.empty(), messageId, Map.of("source", "ttn"));
    }

    private static DeviceMessage message(String deviceId, byte[] body) {
        return new DeviceMessage(deviceId, Optional.empty(), body, Optional.empty(), Optional.empty(), Optional.empty(), Map.of());
    }

    /** A telemetry object whose queue item is exactly the largest the bridge queues. */
    private static byte[] largestBody(String deviceId) {
        QueueMessageCodec codec = new QueueMessageCodec();
        byte[] probe = telemetryOfSize(1_000);
        int overhead = codec.encode(new QueuedMessage("ttn", CLOCK.instant(),
                new DeviceMessage(deviceId, Optional.empty(), probe, Optional.empty(), Optional.empty(),
                        Optional.of("00000000-0000-0000-0000-000000000000"), Map.of())))
                .getBytes(StandardCharsets.UTF_8).length - probe.length;
        return telemetryOfSize(QueueMessageCodec.MAX_ITEM_BYTES - overhead);
    }

    /** {"data":"xxx..."} of exactly {@code size} bytes. */
    static byte[] telemetryOfSize(int size) {
        return ("{\"data\":\"" + "x".repeat(size - 11) + "\"}").getBytes(StandardCharsets.UTF_8);
    }
}
