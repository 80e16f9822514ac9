package dev.iotcbridge.transform;

import dev.iotcbridge.config.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The local server's catalog: like {@link JqTransformCatalog}, and a transform file that changes, appears or
 * disappears is recompiled, added or removed while the server runs. A watcher thread ({@link WatchService}) calls
 * {@link #refresh()}; requests only read an immutable snapshot through one volatile field. {@link #close()} stops
 * the watcher.
 */
public final class ReloadingTransformCatalog implements TransformCatalog {

    private static final Logger LOG = Logger.getLogger(ReloadingTransformCatalog.class.getName());

    private record Entry(TransformLoader.Source source, RouteTransform transform) {
    }

    private record Snapshot(Map<String, Entry> entries, SortedSet<String> names) {
    }

    private final TransformLoader loader;
    private final WatchService watcher;
    private final Thread thread;
    private volatile Snapshot snapshot;

    private ReloadingTransformCatalog(TransformLoader loader, boolean watch) {
        this.loader = loader;
        this.snapshot = new Snapshot(Map.of(), Collections.emptySortedSet());
        refresh();
        if (!watch) {
            watcher = null;
            thread = null;
            return;
        }
        try {
            watcher = FileSystems.getDefault().newWatchService();
            loader.dir().register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot watch the transforms folder " + loader.dir().toAbsolutePath(), e);
        }
        thread = new Thread(this::watch, "transform-reloader");
        thread.setDaemon(true);
        thread.start();
    }

    /** Loads the folder and follows its changes until {@link #close()}. */
    public static ReloadingTransformCatalog watch(Path transformsDir, Settings settings) {
        return watch(transformsDir, settings, TransformLimits.defaults());
    }

    static ReloadingTransformCatalog watch(Path transformsDir, Settings settings, TransformLimits limits) {
        return new ReloadingTransformCatalog(new TransformLoader(transformsDir, settings, limits), true);
    }

    /** Without a watcher thread: changes are picked up by calling {@link #refresh()} (tests, a CLI). */
    static ReloadingTransformCatalog manual(Path transformsDir, Settings settings, TransformLimits limits) {
        return new ReloadingTransformCatalog(new TransformLoader(transformsDir, settings, limits), false);
    }

    /**
     * Re-reads the folder and recompiles each transform whose text changed (text, not mtime, is compared: an editor
     * may save twice in the same clock tick). Unchanged transforms keep their compiled form.
     */
    public synchronized void refresh() {
        Map<String, TransformLoader.Source> sources;
        try {
            sources = loader.readAll();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot re-read the transforms folder; keeping the transforms loaded", e);
            return;
        }
        Map<String, Entry> old = snapshot.entries();
        Map<String, Entry> next = new TreeMap<>();
        sources.forEach((route, source) -> {
            Entry previous = old.get(route);
            if (previous != null && sameText(previous.source(), source)) {
                next.put(route, previous);
            } else {
                RouteTransform t = loader.load(route, source);
                if (!(t instanceof BrokenRouteTransform)) {
                    LOG.info(() -> (previous == null ? "loaded" : "reloaded") + " transform " + route);
                }
                next.put(route, new Entry(source, t));
            }
        });
        old.keySet().stream().filter(r -> !next.containsKey(r))
                .forEach(r -> LOG.info(() -> "transform " + r + " removed: its file is gone"));
        snapshot = new Snapshot(Collections.unmodifiableMap(next),
                Collections.unmodifiableSortedSet(new TreeSet<>(next.keySet())));
    }

    /** Text, not paths or times, decides; a route's downlink mapping is part of it. */
    private static boolean sameText(TransformLoader.Source a, TransformLoader.Source b) {
        if (a == null || b == null) {
            return a == b;
        }
        return Objects.equals(a.text(), b.text()) && Objects.equals(a.unreadable(), b.unreadable())
                && sameText(a.mapping(), b.mapping());
    }

    private void watch() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                key.pollEvents();
                refresh();
                if (!key.reset()) {
                    LOG.warning(() -> "the transforms folder " + loader.dir().toAbsolutePath()
                            + " is no longer watched (removed?); transforms stay as last loaded");
                    return;
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // closed: stop quietly
        }
    }

    @Override
    public Optional<RouteTransform> find(String route) {
        Entry e = snapshot.entries().get(route);
        return e == null ? Optional.empty() : Optional.of(e.transform());
    }

    @Override
    public SortedSet<String> routes() {
        return snapshot.names();
    }

    @Override
    public void close() {
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "closing the transforms watcher", e);
            }
            thread.interrupt();
        }
    }
}
