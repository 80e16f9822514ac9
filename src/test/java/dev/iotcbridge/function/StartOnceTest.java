package dev.iotcbridge.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.error.BridgeFaultException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StartOnceTest {

    private static final Map<String, String> CONFIGURED = Map.of("IOTC_ID_SCOPE", "0ne00000001",
            "IOTC_GROUP_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    private final AtomicLong now = new AtomicLong();
    private final AtomicInteger starts = new AtomicInteger();

    @Test
    void startsOnceAndSharesTheResult() {
        StartOnce<String> once = new StartOnce<>("thing", s -> "started " + starts.incrementAndGet(), () -> CONFIGURED, now::get);
        assertEquals("started 1", once.get());
        assertEquals("started 1", once.get());
    }

    @Test
    void aSettingErrorIsKeptAndNamedOnEveryCall() {
        StartOnce<String> once = new StartOnce<>("the bridge", s -> "never", () -> Map.of("IOTC_ID_SCOPE", "0ne1"), now::get);
        BridgeFaultException first = assertThrows(BridgeFaultException.class, once::get);
        assertTrue(first.getMessage().contains("IOTC_GROUP_KEY is required"), first.getMessage());
        now.addAndGet(StartOnce.RETRY_AFTER.toNanos() * 10);
        assertThrows(BridgeFaultException.class, once::get);
    }

    @Test
    void aPassingFailureIsTriedAgainAfterAWhileNotOnEveryCall() {
        StartOnce<String> once = new StartOnce<>("queue delivery", s -> {
            if (starts.incrementAndGet() == 1) {
                throw new IllegalStateException("storage account unreachable");
            }
            return "up";
        }, () -> CONFIGURED, now::get);
        assertThrows(BridgeFaultException.class, once::get);
        assertThrows(BridgeFaultException.class, once::get);
        assertEquals(1, starts.get(), "not retried on every call");
        now.addAndGet(StartOnce.RETRY_AFTER.toNanos());
        assertEquals("up", once.get());
    }
}
