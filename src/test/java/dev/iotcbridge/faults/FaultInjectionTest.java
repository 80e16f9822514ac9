package dev.iotcbridge.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.sim.HubId;
import dev.iotcbridge.sim.SimError;
import dev.iotcbridge.sim.SimHub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Prove nothing is lost (issue 6): for each fault of the failure policy (docs/azure-protocol.md §3.5,
 * iot/FailurePolicy), concurrent retrying senders post a few hundred messages through the local bridge into the
 * simulator while the fault is injected, and the accounting at the end holds:
 * <ul>
 * <li>every message acknowledged 2xx is at a hub (by messageId): a 2xx is never a lie;</li>
 * <li>everything at the hubs is one of the scenario's messages, carrying its own messageId;</li>
 * <li>a message is at the hub more often than its sender posted it only when the hub took it but its answer was
 *     lost, cut half-way or with the connection dropped (the bridge then cannot know the hub took it and sends
 *     again, with the same messageId), and never more often than answers were lost;</li>
 * <li>DPS registrations never outrun the admission (BRIDGE_DPS_REGISTRATION_BURST, then
 * BRIDGE_DPS_REGISTRATIONS_PER_MINUTE);</li>
 * <li>once the fault is over the senders' retries get every message through: nothing is lost.</li>
 * </ul>
 * Each scenario prints one line of counts.
 */
class FaultInjectionTest {

    private static final SecretWitness witness = SecretWitness.shared();
    private static final List<String> report = new ArrayList<>();
    /** Concurrent senders of every scenario, hence most calls open at the hub when it drops its connections. */
    private static final int SENDERS = FaultScenario.DEFAULT_SENDERS;

    @AfterAll
    static void printAndCheckSecrets() {
        report.forEach(System.out::println);
        List<String> leaks = witness.leaks();
        System.out.println("secret hygiene after the fault suite: " + witness.logRecords() + " log records, " + witness.responses()
                + " responses, " + (witness.seenChars() >> 10) + " KB seen; " + witness.secretsKnown() + " secrets looked for; "
                + leaks.size() + " found");
        assertTrue(leaks.isEmpty(), "secrets leaked into logs or responses:\n" + String.join("\n", leaks));
    }

    private static void bothHubs(FaultScenario.Run run, Consumer<SimHub> fault) {
        fault.accept(run.sim().hubA());
        fault.accept(run.sim().hubB());
    }

    /** The accounting every scenario must satisfy. */
    /**
     * @param answersLost most hub answers lost after the hub took the message: cuts injected, or requests open when a
     *                    hub dropped its connections (at most one per sender)
     */
    private static FaultScenario.Outcome account(FaultScenario scenario, int answersLost) throws Exception {
        FaultScenario.Outcome o = scenario.run(witness);
        synchronized (report) {
            report.add(o.line());
        }
        System.out.println(o.line());
        Ledger ledger = o.ledger();
        Map<String, Integer> atHub = o.counters().messagesPerMessageId();

        List<String> ackedNotAtHub = ledger.entries().stream()
                .filter(e -> e.acked() && atHub.getOrDefault(e.messageId(), 0) == 0)
                .map(Ledger.Entry::messageId).toList();
        assertEquals(List.of(), ackedNotAtHub, o.name() + ": acknowledged 2xx but not at any hub");

        Set<String> unknown = atHub.keySet().stream().filter(id -> ledger.entry(id) == null).collect(Collectors.toSet());
        assertEquals(Set.of(), unknown, o.name() + ": at the hub but never sent");
        long copies = atHub.values().stream().mapToLong(Integer::longValue).sum();
        assertEquals(o.atHub(), copies, o.name() + ": every message at the hubs carries one of the scenario's message ids");

        long unexplained = 0;
        List<String> overSent = new ArrayList<>();
        for (Ledger.Entry e : ledger.entries()) {
            int c = atHub.getOrDefault(e.messageId(), 0);
            if (c > e.attempts()) {
                unexplained += c - e.attempts();
                overSent.add(e.messageId() + " x" + c + " after " + e.statuses());
            }
            if (c > 1) {
                assertTrue(e.attempts() > 1 || answersLost > 0, o.name() + ": " + e.messageId()
                        + " is at the hub " + c + " times though its sender posted it once and no hub answer was lost");
            }
        }
        assertTrue(unexplained <= answersLost, o.name() + ": " + unexplained + " copies more than the senders posted, "
                + "with at most " + answersLost + " hub answers lost: " + overSent);

        assertTrue(o.counters().registrationsReceived() <= FaultScenario.admissionBound(o.durationMillis()),
                o.name() + ": " + o.counters().registrationsReceived() + " DPS registrations in " + o.durationMillis()
                        + " ms, more than the admission lets through");
        assertTrue(o.counters().registrationsReceived() > 0, o.name() + ": the scenario provisioned its devices");

        List<String> lost = ledger.entries().stream().filter(e -> !e.acked())
                .map(e -> e.messageId() + " " + e.statuses()).limit(5).toList();
        assertEquals(ledger.sent(), ledger.acked(), o.name() + ": messages never acknowledged although the fault ended, e.g. " + lost);
        return o;
    }

    private static FaultScenario.Outcome account(FaultScenario scenario) throws Exception {
        return account(scenario, 0);
    }

    private static long answered(FaultScenario.Outcome o, int status) {
        return o.ledger().statusCounts().getOrDefault(status, 0L);
    }

    private static long hubRequests(FaultScenario.Outcome o) {
        return o.counters().hubRequests().values().stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void baselineWithoutFaults() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("baseline").seed(1));
        assertEquals(0, o.duplicates());
        assertEquals(o.ledger().sent(), o.atHub(), "each message exactly once");
        assertEquals(48, o.counters().registrationsReceived(), "48 new devices, one registration each");
    }

    @Test
    void hubRefusesConnectionsThenComesBack() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("hub-a-refuses-connections").seed(2)
                .at(0.25, run -> {
                    run.sim().hubA().refuseConnections();
                    // down until the senders have felt it SENDERS times, however slow the machine
                    run.afterFailedAnswers(SENDERS, () -> run.sim().hubA().acceptConnections());
                }), SENDERS);
        assertTrue(answered(o, 503) >= SENDERS / 2, "calls for hub A's devices were answered 503 while it was down: "
                + o.ledger().statusCounts());
    }

    @Test
    void hubGoneAndIotCentralMovesItsDevices() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("hub-a-gone-devices-failed-over").seed(3)
                .at(0.3, run -> {
                    run.sim().hubA().refuseConnections();
                    run.sim().dps().assignAllTo(HubId.B);
                    run.sim().devices().stream().filter(d -> d.hub().equals(java.util.Optional.of(HubId.A)))
                            .forEach(d -> run.sim().failover(d.deviceId(), null));
                }), SENDERS);
        assertTrue(o.deviceHubs().values().stream().allMatch("B"::equals), "every device ends on hub B: " + o.deviceHubs());
    }

    @Test
    void hub404ForDevicesMovedMidRun() throws Exception {
        AtomicInteger moved = new AtomicInteger();
        FaultScenario.Outcome o = account(FaultScenario.named("hub-404-failover-mid-run").seed(4)
                .at(0.3, run -> run.sim().devices().forEach(d -> {
                    run.sim().failover(d.deviceId(), null);
                    moved.incrementAndGet();
                })));
        assertTrue(moved.get() >= 40, "most devices were moved: " + moved.get());
        assertTrue(o.counters().registrationsReceived() >= 48 + moved.get(),
                "each moved device registered again: " + o.counters().registrationsReceived());
    }

    @Test
    void hub401() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("hub-401-fraction-0.15").seed(5)
                .atStart(run -> bothHubs(run, h -> h.faults().failFraction(0.15, SimError.unauthorized()))));
        assertTrue(o.counters().registrationsReceived() > 48, "401s made the bridge re-provision");
    }

    @Test
    void hub403DeviceDisabled() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("hub-403012-disabled-fraction-0.15").seed(6)
                .atStart(run -> bothHubs(run, h -> h.faults().failFraction(0.15, SimError.deviceDisabled()))));
        assertTrue(o.counters().registrationsReceived() > 48, "403012 made the bridge re-provision");
    }

    @Test
    void hub429WithRetryAfter() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("hub-429-retry-after-1s-fraction-0.3").seed(7)
                .atStart(run -> bothHubs(run, h -> h.faults().failFraction(0.3, SimError.throttled(1)))));
        assertTrue(hubRequests(o) > o.atHub(), "the hubs throttled");
    }

    @Test
    void hub429WithoutRetryAfter() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("hub-429-no-retry-after-fraction-0.3").seed(8)
                .atStart(run -> bothHubs(run, h -> h.faults().failFraction(0.3, SimError.throttled()))));
        assertTrue(hubRequests(o) > o.atHub(), "the hubs throttled");
    }

    @Test
    void hub500Storm() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("hub-500-storm-fraction-0.5").seed(9)
                .atStart(run -> bothHubs(run, h -> h.faults().failFraction(0.5, SimError.serverError()))));
        assertTrue(hubRequests(o) > o.atHub() * 3 / 2, "half the hub requests failed");
    }

    @Test
    void hub503Storm() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("hub-503-storm-fraction-0.5").seed(10)
                .atStart(run -> bothHubs(run, h -> h.faults().failFraction(0.5, SimError.serviceUnavailable()))));
        assertTrue(hubRequests(o) > o.atHub() * 3 / 2, "half the hub requests failed");
    }

    @Test
    void hubSlowerThanTheBudget() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("hub-a-900ms-for-8-failures-budget-600ms").seed(11)
                .at(0.2, run -> {
                    run.sim().hubA().faults().latency(Duration.ofMillis(900));
                    run.afterFailedAnswers(8, () -> run.sim().hubA().faults().latency(Duration.ZERO));
                }));
        assertTrue(answered(o, 503) > 0, "calls that outlived the budget were answered 503: " + o.ledger().statusCounts());
    }

    @Test
    void dpsSlow() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("dps-200ms-per-request").seed(12)
                .atStart(run -> run.sim().dps().faults().latency(Duration.ofMillis(200))));
        assertTrue(answered(o, 503) > 0, "first messages that outlived the budget while registering were answered 503");
    }

    @Test
    void dpsFailing500() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("dps-500-fraction-0.25").seed(13).assignOnRegister()
                .atStart(run -> run.sim().dps().faults().failFraction(0.25, SimError.serverError())));
        assertTrue(o.counters().registrationsReceived() > 48, "failed registrations were retried");
    }

    @Test
    void dpsThrottling429() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("dps-429-fraction-0.4-half-retry-after-0").seed(14)
                .assignOnRegister()
                .atStart(run -> run.sim().dps().faults()
                        .failFraction(0.2, SimError.throttled(0))
                        .failFraction(0.25, SimError.throttled())));
        assertTrue(o.counters().registrationsReceived() > 48, "throttled registrations were retried");
    }

    @Test
    void dpsAssignsAnotherHubMidRun() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("dps-assigns-hub-b-mid-run").seed(15)
                .lateDevices(16, 0.5)
                .at(0.4, run -> {
                    run.sim().dps().assignAllTo(HubId.B);
                    run.sim().devices().stream().filter(d -> d.hub().equals(java.util.Optional.of(HubId.A)))
                            .forEach(d -> run.sim().failover(d.deviceId(), null));
                }));
        for (String late : o.devicesRegisteredLate()) {
            assertEquals("B", o.deviceHubs().get(late), late + " registered after the switch");
        }
        assertTrue(o.counters().messagesPerHub().get(HubId.A) > 0, "hub A served the first part");
    }

    @Test
    void hubCutsAnswersHalfWay() throws Exception {
        int waves = 4;
        int perWave = 4;
        FaultScenario scenario = FaultScenario.named("hub-cuts-answers-half-way").seed(16);
        for (int w = 0; w < waves; w++) {
            scenario.at(0.1 + 0.2 * w, run -> bothHubs(run, h -> h.faults().cutNext(perWave)));
        }
        FaultScenario.Outcome o = account(scenario, waves * perWave * 2);
        assertTrue(o.duplicates() > 0, "a cut answer makes the bridge send again: the hub has a duplicate");
    }

    @Test
    void dpsCutsAnswersHalfWay() throws Exception {
        FaultScenario.Outcome o = account(FaultScenario.named("dps-cuts-answers-fraction-0.3").seed(17).assignOnRegister()
                .atStart(run -> run.sim().dps().faults().cutFraction(0.3)));
        assertTrue(o.counters().registrationsReceived() > 48, "cut registrations were retried");
    }
}
