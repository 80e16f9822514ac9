package dev.iotcbridge.function;

import com.microsoft.azure.functions.spi.inject.FunctionInstanceInjector;

/**
 * Starts the bridge when the Java worker loads the app's functions, not on the first webhook. The worker looks this
 * class up through {@link java.util.ServiceLoader} (META-INF/services) while it handles the first function load, and
 * asks it for each function's instance from then on (docs/azure-protocol.md section 5, "Start").
 */
public final class BridgeStarter implements FunctionInstanceInjector {

    /** Called by the worker at the first function load. */
    public BridgeStarter() {
        FunctionRuntime.startInBackground();
    }

    @Override
    public <T> T getInstance(Class<T> functionClass) throws Exception {
        // what the worker does without an injector: a new instance per invocation (ours hold nothing)
        return functionClass.getDeclaredConstructor().newInstance();
    }
}
