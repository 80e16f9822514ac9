package dev.iotcbridge.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeFaultException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EvaluationBudgetTest {

    /** A meter whose CPU clock advances 1 ms at every reading: the budget's arithmetic without real time. */
    static final class SteppingMeter implements ThreadMeter {
        long cpu;
        long allocated;
        final long cpuStep;
        final long allocationStep;
        int readings;

        SteppingMeter(long cpuStep, long allocationStep) {
            this.cpuStep = cpuStep;
            this.allocationStep = allocationStep;
        }

        @Override
        public long cpuNanos() {
            readings++;
            return cpu += cpuStep;
        }

        @Override
        public long allocatedBytes() {
            return allocated += allocationStep;
        }
    }

    private static TransformLimits limits(ThreadMeter meter) {
        return new TransformLimits(Duration.ofMillis(50), 1L << 30, meter);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "[range(1e9)]",
        "last(range(1e12))",
        "[repeat(1)]",
        "repeat(1)",
        "reduce range(1e12) as $x (0; . + $x)",
        "[limit(1e12; repeat(\"x\"))] | length",
        "try ([range(1e9)]) catch \"swallowed\"",
        "[range(1e9)] | error(\"not reached\")",
        "first(range(1e12) | select(. < 0))",
        "[.[] as $a | range(1e9)]",
        "def f: f; f",
        "def f: 1 + f; f",
    })
    void aRunawayTransformIsStoppedWithA500(String program) {
        SteppingMeter meter = new SteppingMeter(1_000_000, 0);
        JqRouteTransform t = Jq.transform(program, limits(meter));
        BridgeFaultException e = assertThrows(BridgeFaultException.class,
                () -> t.apply(Jq.json("[1,2]"), Jq.NO_VARIABLES, Integer.MAX_VALUE));
        assertEquals(500, e.status());
        assertTrue(e.getMessage().startsWith("transform test (transforms/test.jq) was stopped: it "), e.getMessage());
        assertTrue(e.getMessage().contains("CPU budget of 50 ms") || e.getMessage().contains("recursed too deeply"),
                e.getMessage());
        assertNull(EvaluationBudget.current(), "the budget is cleared after the call");
        // the process stays healthy: the next call of another transform on this thread runs normally
        assertEquals("[3]", Jq.transform("[1 + 2]", limits(meter)).apply(Jq.json("null"), Jq.NO_VARIABLES, 10)
                .get(0).toString());
    }

    @Test
    void theBudgetIsCountedInCpuTimeSamplesNotPerCall() {
        SteppingMeter meter = new SteppingMeter(1_000_000, 0);
        JqRouteTransform t = Jq.transform("[range(1e9)]", limits(meter));
        assertThrows(BridgeFaultException.class, () -> t.apply(Jq.json("null"), Jq.NO_VARIABLES, 10));
        // first reading starts the budget, then 50 ms in 1 ms steps, then the one that exceeds it
        assertEquals(52, meter.readings);

        SteppingMeter quiet = new SteppingMeter(1_000_000, 0);
        Jq.transform("{deviceId: .device.deviceId, telemetry: .measurements} | map_values(.)", limits(quiet))
                .apply(Jq.json("{\"device\":{\"deviceId\":\"a\"},\"measurements\":{\"t\":1}}"), Jq.NO_VARIABLES, 10);
        assertEquals(0, quiet.readings, "a small transform never reads the clocks");
    }

    @Test
    void aTransformBuildingHugeValuesIsStoppedByItsMemoryBudget() {
        SteppingMeter meter = new SteppingMeter(0, 1 << 20);
        JqRouteTransform t = Jq.transform("[range(1e9) | tostring]", new TransformLimits(Duration.ofHours(1), 16L << 20, meter));
        BridgeFaultException e = assertThrows(BridgeFaultException.class,
                () -> t.apply(Jq.json("null"), Jq.NO_VARIABLES, 10));
        assertTrue(e.getMessage().endsWith("allocated more than its memory budget of 16 MB"), e.getMessage());
    }

    @Test
    void theRealClocksStopARunawayTransform() {
        JqRouteTransform t = Jq.transform("[range(1e12)]", new TransformLimits(Duration.ofMillis(100), 64L << 20,
                ThreadMeter.current()));
        BridgeFaultException e = assertThrows(BridgeFaultException.class,
                () -> t.apply(Jq.json("null"), Jq.NO_VARIABLES, 10));
        assertTrue(e.getMessage().contains("budget"), e.getMessage());
    }

    @Test
    void tooManyOutputsStopsTheEvaluationWithA400() {
        SteppingMeter meter = new SteppingMeter(1_000_000, 0);
        JqRouteTransform t = Jq.transform("range(1e12) | {deviceId: \"d\", telemetry: {n: .}}", limits(meter));
        BadInputException e = assertThrows(BadInputException.class,
                () -> t.apply(Jq.json("null"), Jq.NO_VARIABLES, 100));
        assertEquals(400, e.status());
        assertEquals("transform test produced more than 100 messages for this body; at most 100 are accepted per call",
                e.getMessage());
        assertTrue(meter.readings < 3, "stopped at the 101st output, long before the CPU budget");
        assertEquals(100, Jq.transform("range(100)", limits(meter)).apply(Jq.json("null"), Jq.NO_VARIABLES, 100).size());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "reduce range(40) as $i (\"x\"; . + .) | length",
        "reduce range(40) as $i ([1]; . + .) | length",
    })
    void aValueDoubledInAFewStepsIsStoppedByTheMemoryBudgetBeforeTheHeapIsGone(String program) {
        // 40 ticks, far fewer than a CPU sample needs: memory must be read at every tick or this reaches 2^40 bytes
        JqRouteTransform t = Jq.transform(program, new TransformLimits(Duration.ofHours(1), 16L << 20, ThreadMeter.current()));
        BridgeFaultException e = assertThrows(BridgeFaultException.class,
                () -> t.apply(Jq.json("null"), Jq.NO_VARIABLES, 10));
        assertTrue(e.getMessage().endsWith("allocated more than its memory budget of 16 MB"), e.getMessage());
    }

    @Test
    void oneStepAskingForMoreThanTheHeapIsAnswered500AndTheNextCallRuns() {
        // new StringBuilder(Integer.MAX_VALUE): an OutOfMemoryError at once, without filling the heap first
        JqRouteTransform t = Jq.transform("\"x\" * 3e9 | length", TransformLimits.defaults());
        BridgeFaultException e = assertThrows(BridgeFaultException.class,
                () -> t.apply(Jq.json("null"), Jq.NO_VARIABLES, 10));
        assertEquals(500, e.status());
        assertTrue(e.getMessage().contains("was stopped: one step needed more memory than the process has"), e.getMessage());
        assertEquals("[3]", Jq.transform("[1 + 2]", TransformLimits.defaults()).apply(Jq.json("null"), Jq.NO_VARIABLES, 10)
                .get(0).toString());
    }
}
