package dev.iotcbridge.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** The local server's console handler: lines arrive in order, a slow console drops only success lines, never failures. */
class AsyncConsoleHandlerTest {

    private static final Formatter LINE = new Formatter() {
        @Override
        public String format(LogRecord r) {
            return r.getLevel() + " " + r.getMessage() + "\n";
        }
    };

    /** A console that holds its first write until released. */
    private static final class StuckConsole extends OutputStream {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        final CountDownLatch writing = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public synchronized void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writing.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            synchronized (this) {
                written.write(b, off, len);
            }
        }

        synchronized String text() {
            return written.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void writesEveryLineInOrderAndClosesWithNothingLeft() {
        StuckConsole console = new StuckConsole();
        console.release.countDown();
        AsyncConsoleHandler handler = new AsyncConsoleHandler(console, LINE, Level.INFO, 128);
        for (int i = 0; i < 100; i++) {
            handler.publish(new LogRecord(Level.INFO, "delivered " + i));
        }
        handler.publish(new LogRecord(Level.FINE, "below the level"));
        handler.close();
        String text = console.text();
        int last = -1;
        for (int i = 0; i < 100; i++) {
            int at = text.indexOf("INFO delivered " + i + "\n");
            assertTrue(at > last, "line " + i + " missing or out of order:\n" + text);
            last = at;
        }
        assertFalse(text.contains("below the level"));
    }

    @Test
    void aConsoleThatCannotKeepUpDropsSuccessLinesButNeverAFailure() throws Exception {
        StuckConsole console = new StuckConsole();
        AsyncConsoleHandler handler = new AsyncConsoleHandler(console, LINE, Level.INFO, 2);
        handler.publish(new LogRecord(Level.INFO, "first"));
        console.writing.await(); // the writer holds "first" and is stuck in the console
        handler.publish(new LogRecord(Level.INFO, "queued-1"));
        handler.publish(new LogRecord(Level.INFO, "queued-2"));
        handler.publish(new LogRecord(Level.INFO, "dropped")); // the queue is full: returns at once
        assertEquals(1, handler.dropped());
        Thread failure = new Thread(() -> handler.publish(new LogRecord(Level.WARNING, "hub refused")));
        failure.start();

        console.release.countDown();
        failure.join();
        handler.close();

        String text = console.text();
        for (String line : new String[] {"INFO first", "INFO queued-1", "INFO queued-2", "WARNING hub refused",
                "WARNING 1 log lines dropped"}) {
            assertTrue(text.contains(line), line + " missing:\n" + text);
        }
        assertFalse(text.contains("INFO dropped"), text);
    }
}
