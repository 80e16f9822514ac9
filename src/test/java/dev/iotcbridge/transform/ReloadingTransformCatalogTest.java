package dev.iotcbridge.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.config.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadingTransformCatalogTest {

    @TempDir
    Path dir;

    private static final Settings SETTINGS = Settings.from(Map.of());

    private String run(TransformCatalog catalog, String route) {
        return catalog.find(route).orElseThrow().apply(Jq.json("null"), Jq.NO_VARIABLES, 10).toString();
    }

    @Test
    void recompilesChangedAddedAndRemovedFilesOnRefresh() throws IOException {
        Files.writeString(dir.resolve("a.jq"), "1");
        Files.writeString(dir.resolve("b.jq"), "2");
        ReloadingTransformCatalog catalog = ReloadingTransformCatalog.manual(dir, SETTINGS, TransformLimits.defaults());
        assertEquals("[1]", run(catalog, "a"));

        Files.writeString(dir.resolve("a.jq"), "# @success-status 204\n10");
        Files.writeString(dir.resolve("c.jq"), "3");
        Files.delete(dir.resolve("b.jq"));
        catalog.refresh();

        assertEquals("[10]", run(catalog, "a"));
        assertEquals(204, catalog.find("a").orElseThrow().successStatus());
        assertEquals("[3]", run(catalog, "c"));
        assertTrue(catalog.find("b").isEmpty());
        assertEquals(List.of("a", "c"), List.copyOf(catalog.routes()));

        // unchanged text keeps the compiled transform; a broken edit gives a broken route, a fix restores it
        RouteTransform c = catalog.find("c").orElseThrow();
        catalog.refresh();
        assertSame(c, catalog.find("c").orElseThrow());
        Files.writeString(dir.resolve("c.jq"), "{");
        catalog.refresh();
        assertInstanceOf(BrokenRouteTransform.class, catalog.find("c").orElseThrow());
        Files.writeString(dir.resolve("c.jq"), "4");
        catalog.refresh();
        assertEquals("[4]", run(catalog, "c"));
    }

    @Test
    void theWatcherPicksUpAChangedFile() throws Exception {
        Files.writeString(dir.resolve("a.jq"), "1");
        try (ReloadingTransformCatalog catalog = ReloadingTransformCatalog.watch(dir, SETTINGS)) {
            assertEquals("[1]", run(catalog, "a"));
            Files.writeString(dir.resolve("a.jq"), "2");
            Files.writeString(dir.resolve("new.jq"), "3");
            // a file is emptied (or created) and then written: the watcher may first see it empty, a broken route, and
            // then again with its text, so the wait is for the final state
            awaitUpTo10s(() -> gives(catalog, "new", "[3]") && gives(catalog, "a", "[2]"));
            assertEquals("[3]", run(catalog, "new"));
        }
    }

    /** Whether {@code route} is loaded, not broken, and outputs {@code expected}. */
    private static boolean gives(TransformCatalog catalog, String route, String expected) {
        return catalog.find(route)
                .filter(t -> !(t instanceof BrokenRouteTransform))
                .map(t -> t.apply(Jq.json("null"), Jq.NO_VARIABLES, 10).toString().equals(expected))
                .orElse(false);
    }

    /** The watcher runs on its own thread: wait for its effect, bounded, without asserting on time. */
    private static void awaitUpTo10s(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("the watcher did not reload the transforms");
            }
            Thread.sleep(20);
        }
    }
}
