package dev.iotcbridge.sim;

import dev.iotcbridge.config.Secret;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * How a {@link Simulator} starts. Every option has a default: {@code SimulatorOptions.builder().build()} gives
 * plain HTTP on ephemeral loopback ports, a generated ID scope and group key, {@code Retry-After: 3} on
 * registration (what real DPS answers, docs/azure-protocol.md §2.1), blocked devices refused with DPS 401 + 400209,
 * no printing.
 */
public final class SimulatorOptions {

    /** The default printer: prints nothing (the hub then builds no line to print). */
    static final Consumer<String> NO_PRINTER = line -> { };

    private final Optional<String> idScope;
    private final Optional<Secret> groupKey;
    private final int dpsPort;
    private final int hubAPort;
    private final int hubBPort;
    private final String hubAName;
    private final String hubBName;
    private final boolean https;
    private final int retryAfterSeconds;
    private final boolean assignOnRegister;
    private final Consumer<String> telemetryPrinter;
    private final int keepRecentMessages;
    private final int keepMessageIds;
    private final Clock clock;
    private final long seed;
    private final HubErrorStyle hubErrorStyle;
    private final Duration operationTtl;
    private final int ioThreads;
    private final DpsRefusal dpsRefusal;

    private SimulatorOptions(Builder b) {
        this.idScope = b.idScope;
        this.groupKey = b.groupKey;
        this.dpsPort = b.dpsPort;
        this.hubAPort = b.hubAPort;
        this.hubBPort = b.hubBPort;
        this.hubAName = b.hubAName;
        this.hubBName = b.hubBName;
        this.https = b.https;
        this.retryAfterSeconds = b.retryAfterSeconds;
        this.assignOnRegister = b.assignOnRegister;
        this.telemetryPrinter = b.telemetryPrinter;
        this.keepRecentMessages = b.keepRecentMessages;
        this.keepMessageIds = b.keepMessageIds;
        this.clock = b.clock;
        this.seed = b.seed;
        this.hubErrorStyle = b.hubErrorStyle;
        this.operationTtl = b.operationTtl;
        this.ioThreads = b.ioThreads;
        this.dpsRefusal = b.dpsRefusal;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static SimulatorOptions defaults() {
        return builder().build();
    }

    public Optional<String> idScope() { return idScope; }
    public Optional<Secret> groupKey() { return groupKey; }
    public int dpsPort() { return dpsPort; }
    public int hubAPort() { return hubAPort; }
    public int hubBPort() { return hubBPort; }
    public String hubAName() { return hubAName; }
    public String hubBName() { return hubBName; }
    public boolean https() { return https; }
    public int retryAfterSeconds() { return retryAfterSeconds; }
    public boolean assignOnRegister() { return assignOnRegister; }
    public Consumer<String> telemetryPrinter() { return telemetryPrinter; }
    public int keepRecentMessages() { return keepRecentMessages; }
    public int keepMessageIds() { return keepMessageIds; }
    public Clock clock() { return clock; }
    public long seed() { return seed; }
    public HubErrorStyle hubErrorStyle() { return hubErrorStyle; }
    public Duration operationTtl() { return operationTtl; }
    public int ioThreads() { return ioThreads; }
    public DpsRefusal dpsRefusal() { return dpsRefusal; }

    @Override
    public String toString() {
        return "SimulatorOptions[idScope=" + idScope.orElse("(generated)") + ", groupKey="
                + (groupKey.isPresent() ? "(given)" : "(generated)") + ", ports=" + dpsPort + "/" + hubAPort + "/" + hubBPort
                + ", https=" + https + ", retryAfter=" + retryAfterSeconds + "s, assignOnRegister=" + assignOnRegister
                + ", dpsRefusal=" + dpsRefusal + "]";
    }

    public static final class Builder {
        private Optional<String> idScope = Optional.empty();
        private Optional<Secret> groupKey = Optional.empty();
        private int dpsPort;
        private int hubAPort;
        private int hubBPort;
        private String hubAName = "127.0.0.1";
        private String hubBName = "127.0.0.1";
        private boolean https;
        /** Real DPS answers a register call 202 with {@code Retry-After: 3} (docs/azure-protocol.md §2.1). */
        private int retryAfterSeconds = 3;
        private boolean assignOnRegister;
        private Consumer<String> telemetryPrinter = NO_PRINTER;
        private int keepRecentMessages = 1_000;
        private int keepMessageIds = 100_000;
        private Clock clock = Clock.systemUTC();
        private long seed = 1;
        private HubErrorStyle hubErrorStyle = HubErrorStyle.NAMED;
        private Duration operationTtl = Duration.ofSeconds(60);
        private int ioThreads = 1;
        private DpsRefusal dpsRefusal = DpsRefusal.UNAUTHORIZED;

        private Builder() {
        }

        /** The ID scope; generated ({@code 0ne} + 8 hex digits) when not given. */
        public Builder idScope(String value) {
            if (value == null || value.isBlank() || value.contains("/")) {
                throw new IllegalArgumentException("an ID scope is a non-blank word such as 0ne00000001");
            }
            this.idScope = Optional.of(value);
            return this;
        }

        /** The enrollment group's key (base64); generated (base64 of 64 random bytes) when not given. */
        public Builder groupKey(Secret value) {
            try {
                java.util.Base64.getDecoder().decode(Objects.requireNonNull(value, "groupKey").reveal());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the group key must be base64");
            }
            this.groupKey = Optional.of(value);
            return this;
        }

        /** Loopback ports; 0 (the default) picks a free one. */
        public Builder ports(int dps, int hubA, int hubB) {
            this.dpsPort = port(dps);
            this.hubAPort = port(hubA);
            this.hubBPort = port(hubB);
            return this;
        }

        /**
         * The names DPS gives the hubs in {@code assignedHub}, {@code <name>:<port>} (default {@code 127.0.0.1}), e.g.
         * {@code contoso-hub-1.azure-devices.net} for a plain IoT Hub rather than IoT Central's {@code iotc-<guid>}
         * hubs. The hubs still listen on loopback: a client must resolve the names there (a test JVM with
         * {@code -Djdk.net.hosts.file}).
         */
        public Builder hubNames(String a, String b) {
            this.hubAName = hostName(a);
            this.hubBName = hostName(b);
            return this;
        }

        private static String hostName(String value) {
            if (value == null || !value.matches("[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")) {
                throw new IllegalArgumentException("a hub name is a DNS name such as contoso-hub-1.azure-devices.net");
            }
            return value;
        }

        /** Serve HTTPS with the self-signed certificate of {@link SimTls} instead of plain HTTP. */
        public Builder https(boolean value) {
            this.https = value;
            return this;
        }

        /**
         * Seconds DPS asks a client to wait before polling a registration (default 3, as real DPS; 0 for benchmarks
         * that measure the bridge rather than DPS's pace). The operation is assigned once that time has passed on the
         * clock.
         */
        public Builder retryAfterSeconds(int value) {
            if (value < 0 || value > 3_600) {
                throw new IllegalArgumentException("Retry-After is 0..3600 seconds");
            }
            this.retryAfterSeconds = value;
            return this;
        }

        /** Answer the register call 200 {@code assigned} at once, with no operation to poll. */
        public Builder assignOnRegister(boolean value) {
            this.assignOnRegister = value;
            return this;
        }

        /** Receives one line per accepted message: {@code telemetry from <device> via hub-a (<host>): <body>}. */
        public Builder telemetryPrinter(Consumer<String> value) {
            this.telemetryPrinter = Objects.requireNonNull(value, "telemetryPrinter");
            return this;
        }

        /** How many of the last accepted messages are kept whole (default 1000). */
        public Builder keepRecentMessages(int value) {
            this.keepRecentMessages = atLeastOne(value, "keepRecentMessages");
            return this;
        }

        /** How many distinct message ids are counted before the oldest are forgotten (default 100,000). */
        public Builder keepMessageIds(int value) {
            this.keepMessageIds = atLeastOne(value, "keepMessageIds");
            return this;
        }

        /** The clock for token expiry, Retry-After, fail-back and timestamps. */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** Seed of the random draws of fractional faults. */
        public Builder seed(long value) {
            this.seed = value;
            return this;
        }

        /** Which of IoT Hub's two error body forms the hubs answer with (default NAMED). */
        public Builder hubErrorStyle(HubErrorStyle value) {
            this.hubErrorStyle = Objects.requireNonNull(value, "hubErrorStyle");
            return this;
        }

        /** After this long an operation nobody polled stops counting as a registration in flight (default 60 s). */
        public Builder operationTtl(Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("operationTtl must be positive");
            }
            this.operationTtl = value;
            return this;
        }

        /**
         * I/O threads the DPS and both hubs share (default 1). Every request is served on its connection's thread. On
         * the 2-core benchmark (C = 32, hub at once) one thread cost 28-31 µs per message, two cost 46-48 µs: more
         * threads only add wake-ups and switches on a small machine.
         */
        public Builder ioThreads(int value) {
            if (value < 1 || value > 64) {
                throw new IllegalArgumentException("ioThreads is 1..64");
            }
            this.ioThreads = value;
            return this;
        }

        /** How DPS refuses a blocked, unapproved or disabled device (default {@link DpsRefusal#UNAUTHORIZED}). */
        public Builder dpsRefusal(DpsRefusal value) {
            this.dpsRefusal = Objects.requireNonNull(value, "dpsRefusal");
            return this;
        }

        public SimulatorOptions build() {
            return new SimulatorOptions(this);
        }

        private static int port(int value) {
            if (value < 0 || value > 65_535) {
                throw new IllegalArgumentException("a port is 0..65535 (0 = any free port)");
            }
            return value;
        }

        private static int atLeastOne(int value, String name) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " is at least 1");
            }
            return value;
        }
    }
}
