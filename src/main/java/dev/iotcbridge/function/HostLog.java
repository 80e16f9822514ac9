package dev.iotcbridge.function;

import java.io.PrintStream;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Takes the bridge's own {@code java.util.logging} records (loggers under {@code dev.iotcbridge}) to the Functions host
 * as logs (docs/azure-protocol.md section 5, "Logs"). The Java worker sends the host only what goes through an
 * invocation's logger ({@code context.getLogger()}), with that invocation's id, and the host keeps it only while the
 * invocation runs; what {@code java.util.logging} prints goes to the worker's console, which the host reads line by
 * line and files under {@code Host.Function.Console}, guessing each line's level from the words in it.
 *
 * <p>So a record published on the thread of an invocation (the Function opened a {@link #during} scope) goes to that
 * invocation's logger, with its message formatted (the worker sends a record's raw pattern, {0} and all). Any other
 * record (a background registration, the start at function load) is printed as one line on the console: INFO and below
 * on stdout, which the host files as Information, WARNING and SEVERE on stderr led by their level's name, which the
 * host files as Warning or Error.
 */
final class HostLog extends Handler {

    private static final ThreadLocal<Logger> INVOCATION = new ThreadLocal<>();
    /** Held here: the log manager keeps loggers only weakly, and with them their handlers. */
    private static final Logger BRIDGE = Logger.getLogger("dev.iotcbridge");
    private static volatile boolean installed;

    private final Formatter formatter = new SimpleFormatter();
    private final PrintStream out;
    private final PrintStream err;

    HostLog(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Routes the bridge's records through this handler instead of the JVM's console handler; once per JVM. */
    static synchronized void install() {
        if (!installed) {
            BRIDGE.addHandler(new HostLog(System.out, System.err));
            BRIDGE.setUseParentHandlers(false);
            installed = true;
        }
    }

    /** A scope in which this thread's records belong to one invocation. */
    interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    static Scope during(Logger invocation) {
        INVOCATION.set(invocation);
        return INVOCATION::remove;
    }

    @Override
    public void publish(LogRecord record) {
        if (record == null || !isLoggable(record)) {
            return;
        }
        String message = formatter.formatMessage(record);
        Logger invocation = INVOCATION.get();
        if (invocation != null) {
            LogRecord formatted = new LogRecord(record.getLevel(), message);
            formatted.setLoggerName(record.getLoggerName());
            formatted.setThrown(record.getThrown());
            formatted.setSourceClassName(record.getSourceClassName());
            formatted.setSourceMethodName(record.getSourceMethodName());
            invocation.log(formatted);
            return;
        }
        boolean serious = record.getLevel().intValue() >= Level.WARNING.intValue();
        StringBuilder line = new StringBuilder(record.getLevel().getName()).append(' ')
                .append(record.getLoggerName()).append(": ").append(message.replace('\n', ' '));
        if (record.getThrown() != null) {
            line.append(" (").append(record.getThrown()).append(')');
        }
        (serious ? err : out).println(line);
    }

    @Override
    public void flush() {
        out.flush();
        err.flush();
    }

    @Override
    public void close() {
        flush();
    }
}
