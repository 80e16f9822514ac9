package dev.iotcbridge.function;

import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BridgeFaultException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What a Function instance builds on first use from its app settings and keeps for its life. A start that
 * fails (a missing or malformed setting) is remembered, and every invocation fails with a 500 naming the
 * setting, instead of retrying a start that cannot succeed on every call.
 */
final class StartOnce<T> implements Supplier<T> {

    private static final Logger LOG = Logger.getLogger(StartOnce.class.getName());

    private final String what;
    private final Function<Settings, T> start;
    private volatile T value;
    private volatile BridgeFaultException failure;

    StartOnce(String what, Function<Settings, T> start) {
        this.what = what;
        this.start = start;
    }

    @Override
    public T get() {
        T v = value;
        if (v != null) {
            return v;
        }
        synchronized (this) {
            if (value == null && failure == null) {
                start();
            }
        }
        if (failure != null) {
            throw failure;
        }
        return value;
    }

    private void start() {
        try {
            Settings settings = Settings.from(System.getenv());
            if (settings.simulated()) {
                // on Azure there is no simulator: without a scope nothing could be delivered
                throw new IllegalArgumentException("IOTC_ID_SCOPE is not set: set it and IOTC_GROUP_KEY in the Function App's settings");
            }
            value = start.apply(settings);
            LOG.info(() -> what + " started for ID scope " + settings.idScope().orElseThrow());
        } catch (RuntimeException e) {
            // setting errors never carry secret values, so the message is safe to answer with
            LOG.log(Level.SEVERE, what + " could not start: " + e.getMessage());
            failure = new BridgeFaultException(what + " could not start: " + e.getMessage(), null);
        }
    }
}
