package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** One compiled transform: a webhook body in, 0..n canonical-message candidates out. */
public interface RouteTransform {

    String route();

    /**
     * Runs the transform once.
     *
     * @param input     the webhook body (a form-encoded body arrives as an object of its fields)
     * @param variables {@code $query}, {@code $headers}, {@code $route}, {@code $path}, {@code $config}
     * @param maxOutputs the most outputs the caller accepts; producing more stops the transform and fails the call with a 400
     * @return the transform's outputs in order, unvalidated
     * @throws dev.iotcbridge.error.BadInputException when the input makes the transform fail (a helper given
     *         bad data, an explicit {@code error("...")}, a run-time type error, too many outputs), naming the route
     * @throws dev.iotcbridge.error.BridgeFaultException when the transform itself is broken (did not compile, calls a
     *         function that does not exist, exceeded its CPU or memory budget), naming the file and the problem
     */
    List<JsonNode> apply(JsonNode input, TransformVariables variables, int maxOutputs);

    /** The HTTP status a fully successful call answers with: 200 by default, 204 where the sender wants no body (Sigfox). */
    default int successStatus() {
        return 200;
    }

    /** The route's downlink mapping and allowed downlink hosts (docs/commands.md); none by default. */
    default RouteDownlinks downlinks() {
        return RouteDownlinks.NONE;
    }
}
