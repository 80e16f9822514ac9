package dev.iotcbridge.transform;

import java.util.Map;

/**
 * What a transform sees besides the body.
 *
 * @param query   query parameters (the last value of a repeated one), {@code code} (the function key) removed
 * @param headers request headers, names lower-case; secrets such as authorization headers removed
 * @param route   the route name
 * @param path    the path after the route, without a leading '/', "" when none (e.g. a DevEUI from a URL template)
 */
public record TransformVariables(Map<String, String> query, Map<String, String> headers, String route, String path) {

    public TransformVariables {
        query = Map.copyOf(query);
        headers = Map.copyOf(headers);
    }
}
