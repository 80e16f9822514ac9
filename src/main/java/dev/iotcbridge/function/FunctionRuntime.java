package dev.iotcbridge.function;

import dev.iotcbridge.bridge.BridgeRuntime;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BridgeFaultException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one runtime of this Function instance, built on first use from the app settings and kept for the
 * instance's life: transforms compiled once, clients and caches shared by every invocation. A start that
 * fails (a missing or malformed setting) is remembered, and every call answers 500 naming the setting.
 */
final class FunctionRuntime {

    private static final Logger LOG = Logger.getLogger(FunctionRuntime.class.getName());
    private static volatile BridgeRuntime runtime;
    private static volatile BridgeFaultException failure;

    private FunctionRuntime() {
    }

    static WebhookHandler handler() {
        BridgeRuntime r = runtime;
        if (r != null) {
            return r.handler();
        }
        synchronized (FunctionRuntime.class) {
            if (runtime == null && failure == null) {
                start();
            }
        }
        if (failure != null) {
            throw failure;
        }
        return runtime.handler();
    }

    private static void start() {
        try {
            Settings settings = Settings.from(System.getenv());
            if (settings.simulated()) {
                throw new IllegalArgumentException(
                        "IOTC_ID_SCOPE is not set: set it and IOTC_GROUP_KEY in the Function App's settings");
            }
            runtime = BridgeRuntime.start(settings, false);
            LOG.info(() -> "bridge started for ID scope " + settings.idScope().orElseThrow()
                    + " with routes " + runtime.transforms().routes());
        } catch (RuntimeException e) {
            // setting errors never carry secret values, so the message is safe to answer with
            LOG.log(Level.SEVERE, "the bridge could not start: " + e.getMessage());
            failure = new BridgeFaultException("the bridge could not start: " + e.getMessage(), null);
        }
    }
}
