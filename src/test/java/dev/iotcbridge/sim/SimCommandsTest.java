package dev.iotcbridge.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The simulated C2D queue follows docs/azure-protocol.md §4: locks, settlements, delivery count, expiry, depth. */
class SimCommandsTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T10:00:00Z"));
    private final SimCommands commands = new SimCommands();

    private SimCommands.Command queue(String name) {
        return commands.enqueue("dev-1", name, "{}".getBytes(StandardCharsets.UTF_8), SimCommands.DEFAULT_TTL, clock.instant());
    }

    private SimCommands.Locked receive() {
        return commands.receive("dev-1", clock.instant()).orElseThrow();
    }

    @Test
    void aReceiveLocksTheOldestForOneMinuteAndOthersSeeTheNext() {
        queue("first");
        queue("second");
        SimCommands.Locked a = receive();
        SimCommands.Locked b = receive();
        assertEquals("first", a.command().methodName());
        assertEquals("second", b.command().methodName(), "a locked message is invisible");
        assertEquals(Optional.empty(), commands.receive("dev-1", clock.instant()));

        clock.advance(Duration.ofSeconds(61));

        SimCommands.Locked again = receive();
        assertEquals("first", again.command().methodName(), "an expired lock puts it back");
        assertEquals(0, again.command().deliveryCount(), "without counting a delivery");
        assertEquals(SimCommands.Settled.LOCK_LOST, commands.complete("dev-1", a.lockToken(), clock.instant()),
                "the old lock is lost (412)");
        assertEquals(SimCommands.Settled.DONE, commands.complete("dev-1", again.lockToken(), clock.instant()));
    }

    @Test
    void completeRejectAndAbandonEndWhereTheHubPutsThem() {
        queue("done");
        queue("never");
        queue("later");
        assertEquals(SimCommands.Settled.DONE, commands.complete("dev-1", receive().lockToken(), clock.instant()));
        assertEquals(SimCommands.Settled.DONE, commands.reject("dev-1", receive().lockToken(), clock.instant()));
        assertEquals(SimCommands.Settled.DONE, commands.abandon("dev-1", receive().lockToken(), clock.instant()));

        var all = commands.of("dev-1", clock.instant());
        assertEquals(SimCommands.State.QUEUED, all.get(0).state());
        assertEquals("later", all.get(0).methodName());
        assertEquals(1, all.get(0).deliveryCount());
        assertEquals(SimCommands.State.COMPLETED, all.get(1).state());
        assertEquals(SimCommands.State.REJECTED, all.get(2).state());
    }

    @Test
    void theTenthAbandonDeadLettersIt() {
        queue("flaky");
        for (int i = 1; i < 10; i++) {
            commands.abandon("dev-1", receive().lockToken(), clock.instant());
            assertEquals(SimCommands.State.QUEUED, commands.of("dev-1", clock.instant()).get(0).state());
        }
        commands.abandon("dev-1", receive().lockToken(), clock.instant());

        SimCommands.Command c = commands.of("dev-1", clock.instant()).get(0);
        assertEquals(SimCommands.State.REJECTED, c.state());
        assertTrue(c.why().orElseThrow().contains("abandoned 10 times"));
        assertEquals(Optional.empty(), commands.receive("dev-1", clock.instant()));
    }

    @Test
    void aCommandPastItsTimeToLiveExpires() {
        commands.enqueue("dev-1", "short", new byte[0], Duration.ofMinutes(5), clock.instant());
        clock.advance(Duration.ofMinutes(5));

        assertEquals(Optional.empty(), commands.receive("dev-1", clock.instant()));
        assertEquals(SimCommands.State.EXPIRED, commands.of("dev-1", clock.instant()).get(0).state());
    }

    @Test
    void aQueueHoldsFifty() {
        for (int i = 0; i < 50; i++) {
            queue("c" + i);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> queue("c50"));
        assertTrue(e.getMessage().contains("403004"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> commands.enqueue("dev-1", "x", new byte[0],
                Duration.ofHours(49), clock.instant()), "IoT Hub keeps a message at most two days");
    }
}
