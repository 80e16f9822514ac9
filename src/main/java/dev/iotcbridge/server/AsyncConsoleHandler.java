package dev.iotcbridge.server;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;

/**
 * The local server's console: request threads only queue their records; one thread formats and writes them, a batch at
 * a time with one flush. With the JDK's {@link ConsoleHandler}, every call formatted its line and wrote and flushed
 * stderr while holding the handler's lock, so under load the calls queued on that lock (~19 µs a line, serialised).
 *
 * <p>When the queue is full (the console cannot keep up), a record below WARNING is dropped and counted, and the count
 * is written as soon as there is room; a request never waits for the console. A record at WARNING or above, or one
 * that carries an exception, is never dropped: when the queue is full it is written on the caller's thread.
 *
 * <p>The source class and method are not inferred (that would walk the caller's stack on the request thread); the
 * bridge's line format prints the logger's name instead.
 */
final class AsyncConsoleHandler extends Handler {

    static final int DEFAULT_CAPACITY = 16_384;
    private static final long BATCH_PAUSE_MILLIS = 10;
    private static final Logger LOG = Logger.getLogger(AsyncConsoleHandler.class.getName());

    private final BlockingQueue<LogRecord> queue;
    private final StreamHandler out;
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private volatile boolean closed;

    AsyncConsoleHandler(OutputStream stream, Formatter formatter, Level level, int capacity) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.out = new StreamHandler(stream, formatter);
        out.setLevel(Level.ALL);
        setLevel(level);
        setFormatter(formatter);
        this.writer = new Thread(this::drainLoop, "bridge-console");
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * Replaces each {@link ConsoleHandler} of the root logger by an asynchronous one with the same level, formatter and
     * filter, writing to stderr as the console handler did. Other handlers (a log file a user configured) are kept.
     */
    static void installOnRootLogger() {
        Logger root = LogManager.getLogManager().getLogger("");
        for (Handler h : root.getHandlers()) {
            if (h instanceof ConsoleHandler console) {
                Formatter f = console.getFormatter() != null ? console.getFormatter() : new SimpleFormatter();
                if (f instanceof SimpleFormatter && Main.LINE_FORMAT.equals(System.getProperty("java.util.logging.SimpleFormatter.format"))) {
                    f = new LineFormatter(); // the same line, a fraction of the cost; a user's own format is kept
                }
                AsyncConsoleHandler async = new AsyncConsoleHandler(System.err, f, console.getLevel(), DEFAULT_CAPACITY);
                async.setFilter(console.getFilter());
                root.removeHandler(console);
                root.addHandler(async);
            }
        }
    }

    long dropped() {
        return dropped.get();
    }

    @Override
    public void publish(LogRecord record) {
        if (closed || !isLoggable(record)) {
            return;
        }
        if (queue.offer(record)) {
            return;
        }
        if (record.getLevel().intValue() >= Level.WARNING.intValue() || record.getThrown() != null) {
            writeNow(List.of(record)); // failures are always logged, even when the console is behind
        } else {
            dropped.incrementAndGet();
        }
    }

    private void drainLoop() {
        List<LogRecord> batch = new ArrayList<>();
        while (!closed || !queue.isEmpty()) {
            try {
                LogRecord first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 1023);
                writeNow(batch);
                batch.clear();
                if (!closed) {
                    // let the next lines gather: the writer then wakes ~100 times a second under load, not once a line
                    Thread.sleep(BATCH_PAUSE_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                batch.clear(); // a formatter that throws must not stop the console
                reportError("writing log records", e, java.util.logging.ErrorManager.WRITE_FAILURE);
            }
        }
    }

    private synchronized void writeNow(List<LogRecord> records) {
        for (LogRecord r : records) {
            out.publish(r);
        }
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            LogRecord note = new LogRecord(Level.WARNING, lost + " log lines dropped: the console could not keep up");
            note.setLoggerName(LOG.getName());
            out.publish(note);
        }
        out.flush();
    }

    @Override
    public void flush() {
        List<LogRecord> rest = new ArrayList<>();
        queue.drainTo(rest);
        writeNow(rest);
    }

    /**
     * Writes what is queued and stops the writer; called by the LogManager at shutdown. The writer may hold a batch it
     * already took from the queue, so it is given time to write it (its loop ends within one poll once closed) before
     * whatever is left is written here.
     */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            writer.interrupt();
        }
        flush();
    }
}
