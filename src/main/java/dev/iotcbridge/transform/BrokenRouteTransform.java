package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotcbridge.error.BridgeFaultException;
import java.util.List;

/** A route whose transform did not load: every call answers 500 naming the file and the problem, not a trace. */
final class BrokenRouteTransform implements RouteTransform {

    private final String route;
    private final TransformFailure failure;

    BrokenRouteTransform(String route, TransformFailure failure) {
        this.route = route;
        this.failure = failure;
    }

    @Override
    public String route() {
        return route;
    }

    TransformFailure failure() {
        return failure;
    }

    @Override
    public List<JsonNode> apply(JsonNode input, TransformVariables variables, int maxOutputs) {
        throw new BridgeFaultException(failure.message(route), null);
    }

    @Override
    public String toString() {
        return failure.message(route);
    }
}
