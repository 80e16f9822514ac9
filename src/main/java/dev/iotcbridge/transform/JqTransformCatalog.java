package dev.iotcbridge.transform;

import dev.iotcbridge.config.Settings;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * The transforms of a folder, compiled once at start: {@code transforms/{route}.jq} serves {@code /api/{route}}.
 * A transform that does not load is logged here with its file and line and stays in the catalog, so that its route
 * answers 500 naming the problem. For the local server, {@link ReloadingTransformCatalog} follows file changes.
 */
public final class JqTransformCatalog implements TransformCatalog {

    private static final Logger LOG = Logger.getLogger(JqTransformCatalog.class.getName());

    private final Map<String, RouteTransform> routes;
    private final SortedSet<String> names;

    private JqTransformCatalog(Map<String, RouteTransform> routes) {
        this.routes = Collections.unmodifiableMap(new TreeMap<>(routes));
        this.names = Collections.unmodifiableSortedSet(new TreeSet<>(routes.keySet()));
    }

    /** Loads every {@code {route}.jq} of the folder with the default budgets. */
    public static JqTransformCatalog load(Path transformsDir, Settings settings) {
        return load(transformsDir, settings, TransformLimits.defaults());
    }

    /**
     * Loads every {@code {route}.jq} of the folder.
     *
     * @throws IllegalArgumentException when the folder does not exist
     */
    static JqTransformCatalog load(Path transformsDir, Settings settings, TransformLimits limits) {
        TransformLoader loader = new TransformLoader(transformsDir, settings, limits);
        Map<String, RouteTransform> routes = new TreeMap<>();
        loader.readAll().forEach((route, source) -> routes.put(route, loader.load(route, source)));
        long broken = routes.values().stream().filter(BrokenRouteTransform.class::isInstance).count();
        LOG.info(() -> "loaded " + routes.size() + " transforms from " + transformsDir.toAbsolutePath() + ": "
                + String.join(", ", routes.keySet()) + (broken > 0 ? " (" + broken + " broken)" : ""));
        return new JqTransformCatalog(routes);
    }

    @Override
    public Optional<RouteTransform> find(String route) {
        return Optional.ofNullable(routes.get(route));
    }

    @Override
    public SortedSet<String> routes() {
        return names;
    }
}
