package dev.iotcbridge.function;

import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BridgeFaultException;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What a Function instance builds on first use from its app settings and keeps for its life. A start that
 * fails for a setting (missing or malformed) cannot succeed until the app is reconfigured, which restarts
 * it: that failure is kept and every invocation answers 500 naming the setting. Any other failure (storage
 * briefly unreachable) is kept only for {@link #RETRY_AFTER}, then the start is tried again.
 */
final class StartOnce<T> implements Supplier<T> {

    static final Duration RETRY_AFTER = Duration.ofSeconds(30);
    private static final Logger LOG = Logger.getLogger(StartOnce.class.getName());

    private final String what;
    private final Function<Settings, T> start;
    private final Supplier<Map<String, String>> environment;
    private final LongSupplier nanoTime;
    private volatile T value;
    private volatile BridgeFaultException failure;
    private volatile long retryAt;
    private volatile boolean permanent;

    StartOnce(String what, Function<Settings, T> start) {
        this(what, start, System::getenv, System::nanoTime);
    }

    StartOnce(String what, Function<Settings, T> start, Supplier<Map<String, String>> environment, LongSupplier nanoTime) {
        this.what = what;
        this.start = start;
        this.environment = environment;
        this.nanoTime = nanoTime;
    }

    @Override
    public T get() {
        T v = value;
        if (v != null) {
            return v;
        }
        synchronized (this) {
            if (value == null && (failure == null || (!permanent && nanoTime.getAsLong() - retryAt >= 0))) {
                start();
            }
        }
        if (value != null) {
            return value;
        }
        throw failure;
    }

    private void start() {
        failure = null;
        try {
            Settings settings = Settings.from(environment.get());
            if (settings.simulated()) {
                // on Azure there is no simulator: without a scope nothing could be delivered
                throw new IllegalArgumentException("IOTC_ID_SCOPE is not set: set it and IOTC_GROUP_KEY in the Function App's settings");
            }
            value = start.apply(settings);
            LOG.info(() -> what + " started for ID scope " + settings.idScope().orElseThrow());
        } catch (RuntimeException e) {
            // setting errors never carry secret values, so the message is safe to answer with
            permanent = e instanceof IllegalArgumentException;
            retryAt = nanoTime.getAsLong() + RETRY_AFTER.toNanos();
            LOG.log(Level.SEVERE, what + " could not start" + (permanent ? "" : " (trying again in " + RETRY_AFTER.toSeconds() + " s)")
                    + ": " + e.getMessage());
            failure = new BridgeFaultException(what + " could not start: " + e.getMessage(), null);
        }
    }
}
