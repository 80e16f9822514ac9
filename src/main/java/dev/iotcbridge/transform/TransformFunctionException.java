package dev.iotcbridge.transform;

import net.thisptr.jackson.jq.exception.JsonQueryException;

/**
 * One of our helper functions was given data it cannot decode. It is a jq error (a transform may catch it with
 * {@code try ... catch}); uncaught, the call answers 400 naming the route and this message.
 */
final class TransformFunctionException extends JsonQueryException {

    private static final long serialVersionUID = 1L;

    TransformFunctionException(String function, String problem) {
        super(function + ": " + problem);
    }
}
