package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import net.thisptr.jackson.jq.exception.JsonQueryException;

/** Runs a jq program through the bridge's engine, as a route transform named "test" would run. */
final class Jq {

    static final ObjectMapper JSON = new ObjectMapper();
    static final TransformVariables NO_VARIABLES = new TransformVariables(Map.of(), Map.of(), "test", "");

    private Jq() {
    }

    static JqRouteTransform transform(String program, TransformLimits limits) {
        try {
            return new JqRouteTransform("test", "transforms/test.jq", JqEngine.compile(program), Map.of(), 200, limits);
        } catch (JsonQueryException e) {
            throw new AssertionError("does not compile: " + program, e);
        }
    }

    static List<JsonNode> all(String program, String inputJson) {
        return transform(program, TransformLimits.defaults()).apply(json(inputJson), NO_VARIABLES, 1000);
    }

    /** The single output of the program, as compact JSON. */
    static String one(String program, String inputJson) {
        List<JsonNode> out = all(program, inputJson);
        if (out.size() != 1) {
            throw new AssertionError("expected one output, got " + out);
        }
        return out.get(0).toString();
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
