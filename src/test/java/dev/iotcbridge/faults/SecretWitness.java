package dev.iotcbridge.faults;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Sees everything the fault and hostile suites make the bridge say (every log record of every logger, at every
 * level of the bridge's own loggers; every response status line, header and body; everything printed on the
 * console the local bridge was given) and knows every secret those runs involved (group keys, derived device keys,
 * SAS signatures, function keys, webhook senders' own secrets). {@link #leaks()} says which secret appeared where.
 *
 * <p>One per JVM, shared by both suites, so that whichever suite ends last checks what both produced.
 */
public final class SecretWitness {

    /** A HMAC-SHA256 in base64 is 44 characters; its first 43 identify it, with or without the padding. */
    static final int WINDOW = 43;
    /** What every SAS token the bridge mints contains, whoever signed it. */
    private static final List<String> TOKEN_MARKERS = List.of("SharedAccessSignature", "&sig=", "skn=registration");

    /** JUL keeps loggers weakly: hold the one whose level we raise, or the setting may be collected with it. */
    private static final Logger BRIDGE_LOGGERS = Logger.getLogger("dev.iotcbridge");
    /** Made when first asked for, so that a suite with a witness of its own does not feed this one too. */
    private static final class Shared {
        static final SecretWitness INSTANCE = new SecretWitness(true);
    }

    /** Whether any SAS token is a leak, whoever minted it: not for the fuzz targets, whose inputs may hold the markers. */
    private final boolean tokenMarkers;
    private final ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
    private final AtomicLong seenChars = new AtomicLong();
    private final AtomicLong logRecords = new AtomicLong();
    private final AtomicLong responses = new AtomicLong();
    /** Exact strings: label by value. */
    private final Map<String, String> literals = new ConcurrentHashMap<>();
    /** Base64 secrets (keys, signatures): label by their first {@link #WINDOW} characters. */
    private final Map<String, String> base64 = new ConcurrentHashMap<>();

    private SecretWitness(boolean capture) {
        this(capture, true);
    }

    private SecretWitness(boolean capture, boolean tokenMarkers) {
        this.tokenMarkers = tokenMarkers;
        if (capture) {
            Handler handler = new Handler() {
                private final SimpleFormatter format = new SimpleFormatter();

                @Override
                public void publish(LogRecord record) {
                    logRecords.incrementAndGet();
                    StringBuilder line = new StringBuilder(record.getLoggerName() + " " + record.getLevel() + " ");
                    line.append(format.formatMessage(record));
                    if (record.getThrown() != null) {
                        StringWriter trace = new StringWriter();
                        record.getThrown().printStackTrace(new PrintWriter(trace));
                        line.append('\n').append(trace);
                    }
                    see(line.toString());
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
            // the bridge's debug lines too: a secret in a FINE line reaches any host that turns debugging on
            BRIDGE_LOGGERS.setLevel(Level.ALL);
        }
    }

    public static SecretWitness shared() {
        return Shared.INSTANCE;
    }

    /**
     * A witness of its own that sees every log record from now on, for a suite that checks input by input (the fuzz
     * targets): it {@link #forget}s after each check, so memory and the cost of a check stay those of one input. It
     * looks for the secrets it is given only, not for any SAS token: a fuzzed input that spells one out is echoed.
     */
    public static SecretWitness listening() {
        return new SecretWitness(true, false);
    }

    /** Forgets everything seen and every secret: the next input starts from nothing. */
    public void forget() {
        seen.clear();
        seenChars.set(0);
        literals.clear();
        base64.clear();
    }

    /** A witness that captures nothing by itself, for testing the witness. */
    static SecretWitness detached() {
        return new SecretWitness(false);
    }

    /** Something the bridge produced: a response, a console line. */
    public void see(String text) {
        if (text != null && !text.isEmpty()) {
            seen.add(text);
            seenChars.addAndGet(text.length());
        }
    }

    public void seeResponse(int status, Map<String, List<String>> headers, String body) {
        responses.incrementAndGet();
        see(status + " " + headers + "\n" + body);
    }

    /** A console for the local bridge whose every line the witness sees. */
    public PrintStream console() {
        return new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                if (b == '\n') {
                    see(line.toString(StandardCharsets.UTF_8));
                    line.reset();
                } else {
                    line.write(b);
                }
            }
        }, true, StandardCharsets.UTF_8);
    }

    /** A secret to look for as it is (and URL-encoded, and JSON-escaped). */
    public void secret(String label, String value) {
        if (value.length() < 8) {
            throw new IllegalArgumentException("a secret this short would match by chance: " + label);
        }
        literals.put(value, label);
    }

    /** A base64 secret (device key, SAS signature): found also inside longer tokens and URL-encoded. */
    public void base64Secret(String label, String value) {
        if (value.length() < WINDOW) {
            throw new IllegalArgumentException(label + " is not a 32-byte base64 value");
        }
        base64.put(value.substring(0, WINDOW), label);
    }

    public void base64Secrets(String label, Collection<String> values) {
        values.forEach(v -> base64Secret(label, v));
    }

    public long logRecords() {
        return logRecords.get();
    }

    public long responses() {
        return responses.get();
    }

    public long seenChars() {
        return seenChars.get();
    }

    public int secretsKnown() {
        return literals.size() + base64.size();
    }

    /** Every secret found in what was seen, as "label in: excerpt"; empty when nothing leaked. */
    public List<String> leaks() {
        List<String> found = new ArrayList<>();
        Set<String> reported = ConcurrentHashMap.newKeySet();
        for (String text : seen) {
            for (String marker : tokenMarkers ? TOKEN_MARKERS : List.<String>of()) {
                int at = text.indexOf(marker);
                if (at >= 0) {
                    found.add("a SAS token (" + marker + ") in: " + excerpt(text, at));
                    break;
                }
            }
            for (Map.Entry<String, String> s : literals.entrySet()) {
                for (String form : forms(s.getKey())) {
                    int at = text.indexOf(form);
                    if (at >= 0 && reported.add(s.getValue() + "@" + text.hashCode())) {
                        found.add(s.getValue() + " in: " + excerpt(text, at));
                    }
                }
            }
            scanBase64(text, found, reported);
        }
        return found;
    }

    private void scanBase64(String text, List<String> found, Set<String> reported) {
        if (base64.isEmpty()) {
            return;
        }
        int n = text.length();
        int start = -1;
        for (int i = 0; i <= n; i++) {
            boolean tokenChar = i < n && isTokenChar(text.charAt(i));
            if (tokenChar && start < 0) {
                start = i;
            } else if (!tokenChar && start >= 0) {
                if (i - start >= WINDOW) {
                    String token = text.substring(start, i);
                    checkWindows(token, text, start, found, reported);
                    if (token.indexOf('%') >= 0) {
                        try {
                            checkWindows(URLDecoder.decode(token, StandardCharsets.UTF_8), text, start, found, reported);
                        } catch (IllegalArgumentException notEncoded) {
                            // a '%' that is not an escape: the raw windows were checked
                        }
                    }
                }
                start = -1;
            }
        }
    }

    private void checkWindows(String token, String text, int at, List<String> found, Set<String> reported) {
        for (int i = 0; i + WINDOW <= token.length(); i++) {
            String label = base64.get(token.substring(i, i + WINDOW));
            if (label != null && reported.add(label + "@" + text.hashCode())) {
                found.add(label + " in: " + excerpt(text, at));
            }
        }
    }

    private static boolean isTokenChar(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '+' || c == '/' || c == '=' || c == '%';
    }

    private static List<String> forms(String secret) {
        String url = URLEncoder.encode(secret, StandardCharsets.UTF_8);
        String json = secret.replace("\\", "\\\\").replace("\"", "\\\"").replace("/", "\\/");
        return url.equals(secret) && json.equals(secret) ? List.of(secret) : List.of(secret, url, json);
    }

    private static String excerpt(String text, int at) {
        // the secret itself is masked in the report: the failure message is a log line too
        int from = Math.max(0, at - 60);
        int to = Math.min(text.length(), at + 20);
        return "…" + text.substring(from, Math.min(to, at)).replace('\n', ' ') + "[secret]…";
    }
}
