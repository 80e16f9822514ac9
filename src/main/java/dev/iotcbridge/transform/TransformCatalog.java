package dev.iotcbridge.transform;

import java.util.Optional;
import java.util.SortedSet;

/** The transforms the bridge serves, one per route ({@code transforms/{route}.jq}). */
public interface TransformCatalog extends AutoCloseable {

    /** The transform of a route; empty when no such route exists. A broken transform is still found: it fails when applied. */
    Optional<RouteTransform> find(String route);

    /** The names of every route, for the 404 that lists them. */
    SortedSet<String> routes();

    @Override
    default void close() {
    }
}
