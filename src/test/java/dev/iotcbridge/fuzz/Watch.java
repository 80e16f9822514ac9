package dev.iotcbridge.fuzz;

import static org.junit.jupiter.api.Assertions.fail;

import dev.iotcbridge.faults.SecretWitness;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What every target checks besides its own invariants, input by input: no secret (group key, device key, SAS token or
 * signature, function key) in any log record or caller-facing text ({@link SecretWitness}), and no crash the bridge
 * caught and logged (a SEVERE record, or a record carrying an exception other than an I/O failure): a catch-all that
 * turned a bug into a 500 hides the bug from the target's own assertions, not from this.
 */
final class Watch {

    private static final Watch INSTANCE = new Watch();

    private final SecretWitness witness = SecretWitness.listening();
    private final ConcurrentLinkedQueue<LogRecord> records = new ConcurrentLinkedQueue<>();
    private Map<String, String> literals = Map.of();
    private Map<String, String> base64 = Map.of();
    /** Records a target expects (e.g. a transform stopped by its budget is logged with a warning, not a crash). */
    private Predicate<LogRecord> expected = r -> false;

    private Watch() {
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        handler.setLevel(Level.ALL);
        Logger.getLogger("").addHandler(handler);
    }

    static Watch get() {
        return INSTANCE;
    }

    /** The secrets of this target: label by value, literal ones and base64 keys or signatures. */
    Watch secrets(Map<String, String> literalSecrets, Map<String, String> base64Secrets) {
        this.literals = Map.copyOf(literalSecrets);
        this.base64 = Map.copyOf(base64Secrets);
        this.expected = r -> false;
        return this;
    }

    /** Records this target expects; set after {@link #secrets}, which clears them. */
    Watch expecting(Predicate<LogRecord> expectedRecords) {
        this.expected = expectedRecords;
        return this;
    }

    /** Starts an input: forgets the previous one. */
    void begin() {
        witness.forget();
        records.clear();
        literals.forEach((value, label) -> witness.secret(label, value));
        base64.forEach((value, label) -> witness.base64Secret(label, value));
    }

    /** A secret of this input only (a signature minted for it). */
    void secretOfThisInput(String label, String base64Value) {
        witness.base64Secret(label, base64Value);
    }

    /** Text the bridge gives a caller (a response, an exception message). */
    void see(String text) {
        witness.see(text);
    }

    /** Ends an input: fails on a leaked secret or a logged crash. */
    void end(String input) {
        List<String> leaks = witness.leaks();
        if (!leaks.isEmpty()) {
            fail("a secret leaked: " + leaks + "\ninput: " + input);
        }
        List<String> crashes = new ArrayList<>();
        for (LogRecord r : records) {
            Throwable t = r.getThrown();
            boolean crash = r.getLevel().intValue() >= Level.SEVERE.intValue()
                    || (t != null && !(t instanceof IOException));
            if (crash && !expected.test(r)) {
                crashes.add(r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage() + (t == null ? "" : "\n" + trace(t)));
            }
        }
        if (!crashes.isEmpty()) {
            fail("the bridge logged a failure it did not expect:\n" + String.join("\n", crashes) + "\ninput: " + input);
        }
    }

    /** The records of this input so far. */
    List<LogRecord> records() {
        return List.copyOf(records);
    }

    private static String trace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
