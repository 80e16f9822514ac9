package dev.iotcbridge.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeFaultException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JqTransformCatalogTest {

    @TempDir
    Path dir;

    private static final Settings SETTINGS = Settings.from(Map.of(
            "BRIDGE_ROUTE_ECHO_MODEL_ID", "dtmi:com:example:Sensor;1",
            "BRIDGE_ROUTE_ECHO_RAW", "true"));

    private void write(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text);
    }

    @Test
    void servesEveryRouteFileWithItsVariables() throws IOException {
        write("echo.jq", "{deviceId: .device.deviceId, telemetry: .measurements, query: $query, headers: $headers,"
                + " route: $route, path: $path, config: $config}");
        write("iotc.jq", "{deviceId: .device.deviceId, telemetry: .measurements}");
        JqTransformCatalog catalog = JqTransformCatalog.load(dir, SETTINGS);

        assertEquals(List.of("echo", "iotc"), List.copyOf(catalog.routes()));
        RouteTransform echo = catalog.find("echo").orElseThrow();
        List<JsonNode> out = echo.apply(Jq.json("{\"device\":{\"deviceId\":\"d1\"},\"measurements\":{\"t\":21.5}}"),
                new TransformVariables(Map.of("event", "up"), Map.of("x-id", "7"), "echo", "a840/x"), 100);
        assertEquals(Jq.json("{\"deviceId\":\"d1\",\"telemetry\":{\"t\":21.5},\"query\":{\"event\":\"up\"},"
                + "\"headers\":{\"x-id\":\"7\"},\"route\":\"echo\",\"path\":\"a840/x\","
                + "\"config\":{\"model_id\":\"dtmi:com:example:Sensor;1\",\"raw\":\"true\"}}"), out.get(0));
        assertEquals(200, echo.successStatus());
        assertTrue(catalog.find("nope").isEmpty());
        // a route without settings sees an empty $config
        assertEquals("{}", Jq.transform("$config", TransformLimits.defaults()).apply(Jq.json("null"),
                Jq.NO_VARIABLES, 1).get(0).toString());
    }

    @Test
    void outputsComeInOrderAndEmptyMeansNothingToSend() throws IOException {
        write("many.jq", ".[] | {deviceId: .}");
        write("join.jq", "if .type == \"join\" then empty else {deviceId: .id} end");
        JqTransformCatalog catalog = JqTransformCatalog.load(dir, SETTINGS);
        List<JsonNode> out = catalog.find("many").orElseThrow().apply(Jq.json("[\"a\",\"b\",\"c\"]"), Jq.NO_VARIABLES, 100);
        assertEquals("[{\"deviceId\":\"a\"}, {\"deviceId\":\"b\"}, {\"deviceId\":\"c\"}]", out.toString());
        assertEquals(List.of(), catalog.find("join").orElseThrow().apply(Jq.json("{\"type\":\"join\"}"), Jq.NO_VARIABLES, 100));
    }

    @Test
    void aTransformCannotChangeItsConfigForTheNextCall() throws IOException {
        write("echo.jq", "($config | .raw = \"changed\" | .raw), $config.raw");
        RouteTransform t = JqTransformCatalog.load(dir, SETTINGS).find("echo").orElseThrow();
        assertEquals("[\"changed\", \"true\"]", t.apply(Jq.json("null"), Jq.NO_VARIABLES, 10).toString());
        assertEquals("[\"changed\", \"true\"]", t.apply(Jq.json("null"), Jq.NO_VARIABLES, 10).toString());
    }

    @Test
    void ignoresFilesThatAreNotRoutes() throws IOException {
        write("good_route-1.jq", ".");
        write("Upper.jq", ".");
        write("with.dot.jq", ".");
        write("README.md", "# not a transform");
        write("-dash.jq", ".");
        Files.createDirectories(dir.resolve("examples.jq"));
        Files.createDirectories(dir.resolve("examples"));
        Files.writeString(dir.resolve("examples/ttn.jq"), ".");
        assertEquals(List.of("good_route-1"), List.copyOf(JqTransformCatalog.load(dir, SETTINGS).routes()));
    }

    @Test
    void aMissingFolderIsReportedAtStart() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JqTransformCatalog.load(dir.resolve("nope"), SETTINGS));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void aBrokenTransformIsLoggedAtStartAndItsRouteAnswers500() throws IOException {
        write("broken.jq", "# a comment\n{deviceId: .id,\n telemetry: (.x | }\n");
        write("fine.jq", ".");
        List<LogRecord> logged = captureLogs(() -> {
            JqTransformCatalog catalog = JqTransformCatalog.load(dir, SETTINGS);
            assertEquals(List.of("broken", "fine"), List.copyOf(catalog.routes()));
            BridgeFaultException e = assertThrows(BridgeFaultException.class,
                    () -> catalog.find("broken").orElseThrow().apply(Jq.json("{}"), Jq.NO_VARIABLES, 10));
            assertEquals(500, e.status());
            assertEquals("transform broken (" + dir.getFileName() + "/broken.jq) is broken: line 3, column 19:"
                    + " cannot compile: unexpected \"}\"", e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line, no trace: " + e.getMessage());
            assertEquals(1, catalog.find("fine").orElseThrow().apply(Jq.json("{}"), Jq.NO_VARIABLES, 10).size());
        });
        assertTrue(logged.stream().anyMatch(r -> r.getMessage().contains("broken.jq: line 3, column 19: cannot compile")),
                "logged at start with file and line");
    }

    @Test
    void readsTheSuccessStatusDirective() throws IOException {
        write("sigfox.jq", "# Sigfox callbacks\n#   @success-status 204\n# more comment\n\n{deviceId: .device}");
        write("queued.jq", "# @success-status 202\n.");
        write("late.jq", ".\n# @success-status 204\n");
        JqTransformCatalog catalog = JqTransformCatalog.load(dir, SETTINGS);
        assertEquals(204, catalog.find("sigfox").orElseThrow().successStatus());
        assertEquals(202, catalog.find("queued").orElseThrow().successStatus());
        assertEquals(200, catalog.find("late").orElseThrow().successStatus(), "only leading comment lines count");
    }

    @Test
    void rejectsAnotherSuccessStatusAtLoad() throws IOException {
        write("bad.jq", "# @success-status 201\n.");
        write("typo.jq", "# @succes-status 204\n.");
        JqTransformCatalog catalog = JqTransformCatalog.load(dir, SETTINGS);
        BridgeFaultException e = assertThrows(BridgeFaultException.class,
                () -> catalog.find("bad").orElseThrow().apply(Jq.json("{}"), Jq.NO_VARIABLES, 10));
        assertTrue(e.getMessage().endsWith("bad.jq) is broken: line 1: @success-status must be 200, 202 or 204, not '201'"),
                e.getMessage());
        BridgeFaultException typo = assertThrows(BridgeFaultException.class,
                () -> catalog.find("typo").orElseThrow().apply(Jq.json("{}"), Jq.NO_VARIABLES, 10));
        assertTrue(typo.getMessage().contains("unknown directive @succes-status"), typo.getMessage());
    }

    @Test
    void classifiesRuntimeFailures() throws IOException {
        write("strict.jq", "if .device == null then error(\"no device in the body\") else {deviceId: .device} end");
        write("typed.jq", "{deviceId: .device.id, telemetry: (.value + 1)}");
        write("typo.jq", "{deviceId: .device} | mapp(.)");
        JqTransformCatalog catalog = JqTransformCatalog.load(dir, SETTINGS);

        BadInputException rejected = assertThrows(BadInputException.class,
                () -> catalog.find("strict").orElseThrow().apply(Jq.json("{}"), Jq.NO_VARIABLES, 10));
        assertEquals(400, rejected.status());
        assertEquals("transform strict rejected the body: no device in the body", rejected.getMessage());

        BadInputException shape = assertThrows(BadInputException.class,
                () -> catalog.find("typed").orElseThrow().apply(Jq.json("{\"device\":{\"id\":\"a\"},\"value\":\"x\"}"),
                        Jq.NO_VARIABLES, 10));
        assertEquals(400, shape.status());
        assertTrue(shape.getMessage().startsWith("transform typed failed on this body: "), shape.getMessage());
        BadInputException index = assertThrows(BadInputException.class,
                () -> catalog.find("typed").orElseThrow().apply(Jq.json("{\"device\":42}"), Jq.NO_VARIABLES, 10));
        assertTrue(index.getMessage().startsWith("transform typed failed on this body: "), index.getMessage());

        BridgeFaultException undefined = assertThrows(BridgeFaultException.class,
                () -> catalog.find("typo").orElseThrow().apply(Jq.json("{\"device\":\"d\"}"), Jq.NO_VARIABLES, 10));
        assertEquals(500, undefined.status());
        assertTrue(undefined.getMessage().contains("typo.jq) is broken: ") && undefined.getMessage().contains("mapp/1"),
                undefined.getMessage());
    }

    @Test
    void oneTransformServesConcurrentCalls() throws Exception {
        write("par.jq", "{deviceId: .id, telemetry: {v: (.hex | uint_at(0; 16)), p: $path}}");
        RouteTransform t = JqTransformCatalog.load(dir, SETTINGS).find("par").orElseThrow();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int n = 0; n < 4; n++) {
                int thread = n;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        int v = thread * 1000 + i;
                        JsonNode out = t.apply(Jq.json(String.format("{\"id\":\"d%d\",\"hex\":\"%04x\"}", v, v)),
                                new TransformVariables(Map.of(), Map.of(), "par", "p" + v), 10).get(0);
                        if (out.path("telemetry").path("v").intValue() != v
                                || !out.path("telemetry").path("p").asText().equals("p" + v)
                                || !out.path("deviceId").asText().equals("d" + v)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (var r : results) {
                assertTrue(r.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theExtraBuiltinsWork() {
        assertEquals("[1,2,4,8]", Jq.one("[limit(4; repeat(. * 2))]", "1"));
        assertEquals("[true,false]", Jq.one("[isempty(empty), isempty(1)]", "null"));
        assertEquals("[true,false]", Jq.one("[(2 | IN(1, 2)), IN(1, 2; 3)]", "null"));
        assertEquals("[3,[1],[2]]", Jq.one("[(-3 | abs), (1 | toarray), ([2] | toarray)]", "null"));
    }

    @Test
    void theEnvironmentIsNotReachable() {
        // app settings (the group key among them) live in the environment: transforms must not see it
        assertThrows(BridgeFaultException.class, () -> Jq.all("env", "null"));
        assertThrows(RuntimeException.class, () -> Jq.all("$ENV", "null"));
    }

    static List<LogRecord> captureLogs(Runnable action) {
        Logger logger = Logger.getLogger("dev.iotcbridge.transform");
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try {
            action.run();
        } finally {
            logger.removeHandler(handler);
        }
        return records;
    }
}
