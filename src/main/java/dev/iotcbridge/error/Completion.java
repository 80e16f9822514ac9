package dev.iotcbridge.error;

import java.util.concurrent.CompletionException;

/** What failed a future: a stage of a {@code CompletableFuture} chain wraps its cause in a CompletionException. */
public final class Completion {

    private Completion() {
    }

    /** The cause the chain wrapped, or {@code failure} itself when it was not wrapped. */
    public static Throwable cause(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }
}
