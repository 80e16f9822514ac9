package dev.iotcbridge.function;

import dev.iotcbridge.bridge.BridgeRuntime;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookResponse;
import dev.iotcbridge.error.BridgeFaultException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one runtime of this Function instance: transforms compiled once, clients and caches shared by every
 * invocation of the HTTP function. It starts when the worker loads the functions ({@link BridgeStarter}), or at the
 * latest on the first call.
 */
final class FunctionRuntime {

    private static final Logger LOG = Logger.getLogger(FunctionRuntime.class.getName());
    private static final StartOnce<BridgeRuntime> RUNTIME;

    static {
        HostLog.install();
        RUNTIME = new StartOnce<>("the bridge", s -> BridgeRuntime.start(s, false));
    }

    private FunctionRuntime() {
    }

    static WebhookHandler handler() {
        return RUNTIME.get().handler();
    }

    /**
     * Starts the bridge on a thread of its own and returns at once, so that loading the functions is not held up; a
     * call that comes before the start is done waits for it (and a start that failed is answered as on first use).
     */
    static void startInBackground() {
        Thread starter = new Thread(() -> {
            long t0 = System.nanoTime();
            try {
                RUNTIME.get();
                LOG.info(() -> "the bridge started at function load in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            } catch (BridgeFaultException e) {
                // StartOnce has logged why; the calls answer 500 naming the setting
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "the bridge could not start at function load", e);
            }
        }, "bridge-start");
        starter.setDaemon(true);
        starter.setContextClassLoader(FunctionRuntime.class.getClassLoader());
        starter.start();
    }

    /** GET /api/health: see {@link Health}. */
    static WebhookResponse health() {
        return Health.of(RUNTIME);
    }
}
