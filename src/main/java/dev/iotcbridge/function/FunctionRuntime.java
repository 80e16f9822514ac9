package dev.iotcbridge.function;

import dev.iotcbridge.bridge.BridgeRuntime;
import dev.iotcbridge.bridge.WebhookHandler;

/**
 * The one runtime of this Function instance: transforms compiled once, clients and caches shared by every
 * invocation of the HTTP function.
 */
final class FunctionRuntime {

    private static final StartOnce<BridgeRuntime> RUNTIME = new StartOnce<>("the bridge", s -> BridgeRuntime.start(s, false));

    private FunctionRuntime() {
    }

    static WebhookHandler handler() {
        return RUNTIME.get().handler();
    }
}
