package dev.iotcbridge.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * The local server's log line, {@code 2026-11-27T10:00:00.123Z INFO dev.iotcbridge.bridge.WebhookHandler: message},
 * the same as {@link Main#LINE_FORMAT} gives {@link java.util.logging.SimpleFormatter}, written without
 * {@code String.format} and without asking the record for its source (which makes the JDK walk the stack): one line
 * per delivered message is the local server's busiest output.
 */
final class LineFormatter extends Formatter {

    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

    /** The formatted second of the previous line: lines come many per second, so most reuse it. */
    private long cachedSecond = Long.MIN_VALUE;
    private String cachedPrefix = "";

    @Override
    public synchronized String format(LogRecord record) {
        Instant at = record.getInstant();
        long second = at.getEpochSecond();
        if (second != cachedSecond) {
            cachedPrefix = SECOND.format(at);
            cachedSecond = second;
        }
        int millis = at.getNano() / 1_000_000;
        StringBuilder line = new StringBuilder(160)
                .append(cachedPrefix).append('.')
                .append((char) ('0' + millis / 100)).append((char) ('0' + millis / 10 % 10)).append((char) ('0' + millis % 10))
                .append("Z ").append(record.getLevel().getLocalizedName()).append(' ')
                .append(record.getLoggerName()).append(": ").append(formatMessage(record));
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            try (PrintWriter w = new PrintWriter(trace)) {
                w.println();
                record.getThrown().printStackTrace(w);
            }
            String t = trace.toString();
            line.append(t, 0, t.length() - System.lineSeparator().length());
        }
        return line.append(System.lineSeparator()).toString();
    }
}
