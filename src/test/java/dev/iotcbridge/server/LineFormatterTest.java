package dev.iotcbridge.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LineFormatterTest {

    private static LogRecord record(Level level, String message, Instant at) {
        LogRecord r = new LogRecord(level, message);
        r.setLoggerName("dev.iotcbridge.bridge.WebhookHandler");
        r.setInstant(at);
        return r;
    }

    @Test
    void oneLinePerRecordInUtcWithMilliseconds() {
        LineFormatter f = new LineFormatter();
        LogRecord r = record(Level.INFO, "route={0} device=d delivered", Instant.parse("2026-11-27T10:00:00.007Z"));
        r.setParameters(new Object[] {"ttn"});

        assertEquals("2026-11-27T10:00:00.007Z INFO dev.iotcbridge.bridge.WebhookHandler: route=ttn device=d delivered"
                + System.lineSeparator(), f.format(r));
        assertEquals("2026-11-27T10:00:00.999Z WARNING dev.iotcbridge.bridge.WebhookHandler: later" + System.lineSeparator(),
                f.format(record(Level.WARNING, "later", Instant.parse("2026-11-27T10:00:00.999Z"))), "same second, reused prefix");
        assertEquals("2026-11-27T10:00:01.000Z INFO dev.iotcbridge.bridge.WebhookHandler: next" + System.lineSeparator(),
                f.format(record(Level.INFO, "next", Instant.parse("2026-11-27T10:00:01Z"))));
    }

    @Test
    void anExceptionFollowsOnItsOwnLines() {
        LogRecord r = record(Level.SEVERE, "unexpected", Instant.parse("2026-11-27T10:00:00Z"));
        r.setThrown(new IllegalStateException("broken"));

        String[] lines = new LineFormatter().format(r).split(System.lineSeparator());

        assertEquals("2026-11-27T10:00:00.000Z SEVERE dev.iotcbridge.bridge.WebhookHandler: unexpected", lines[0]);
        assertEquals("java.lang.IllegalStateException: broken", lines[1]);
        assertTrue(lines[2].trim().startsWith("at "), lines[2]);
    }
}
