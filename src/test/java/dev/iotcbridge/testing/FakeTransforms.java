package dev.iotcbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotcbridge.transform.RouteTransform;
import dev.iotcbridge.transform.TransformCatalog;
import dev.iotcbridge.transform.TransformVariables;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiFunction;

/** Transforms written as Java functions, so the handler is tested without the jq engine. */
public final class FakeTransforms implements TransformCatalog {

    private final Map<String, RouteTransform> routes = new TreeMap<>();

    public FakeTransforms route(String name, BiFunction<JsonNode, TransformVariables, List<JsonNode>> fn) {
        return route(name, 200, fn);
    }

    public FakeTransforms route(String name, int successStatus, BiFunction<JsonNode, TransformVariables, List<JsonNode>> fn) {
        routes.put(name, new RouteTransform() {
            @Override
            public String route() {
                return name;
            }

            @Override
            public List<JsonNode> apply(JsonNode input, TransformVariables variables, int maxOutputs) {
                return fn.apply(input, variables);
            }

            @Override
            public int successStatus() {
                return successStatus;
            }
        });
        return this;
    }

    @Override
    public Optional<RouteTransform> find(String route) {
        return Optional.ofNullable(routes.get(route));
    }

    @Override
    public SortedSet<String> routes() {
        return new TreeSet<>(routes.keySet());
    }
}
