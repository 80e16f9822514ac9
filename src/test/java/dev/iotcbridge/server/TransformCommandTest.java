package dev.iotcbridge.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transform author's CLI: a saved body in, canonical messages (or the reason for rejecting it) out. */
class TransformCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private JsonNode printed() throws Exception {
        return JSON.readTree(out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void printsTheCanonicalMessagesOfAReferenceBody() throws Exception {
        assertEquals(0, run("transform", "iotc", "src/test/resources/webhooks/iotc-bridge/measurements-readme.json"));
        JsonNode messages = printed();
        assertEquals(1, messages.size());
        assertEquals("my-cloud-device", messages.get(0).get("deviceId").asText());
        assertEquals("blue", messages.get(0).get("telemetry").get("ledColor").asText());
    }

    @Test
    void aDownlinkOfferIsShownBesideItsMessage(@TempDir Path dir) throws Exception {
        Path bidir = Files.writeString(dir.resolve("bidir.json"),
                "{\"device\": \"1A2B3C\", \"time\": 1544325853, \"data\": \"0102\", \"seqNumber\": 27, \"ack\": true}");
        assertEquals(0, run("transform", "sigfox", bidir.toString()), err.toString(StandardCharsets.UTF_8));
        JsonNode downlink = printed().get(0).get("downlink");
        assertEquals("{{hex}}", downlink.get("answer").get("1A2B3C").get("downlinkData").asText(), downlink.toString());
        assertEquals(8, downlink.get("exactBytes").asInt());

        out.reset();
        Path uplink = Files.writeString(dir.resolve("uplink.json"),
                "{\"device\": \"1A2B3C\", \"time\": 1544325853, \"data\": \"0102\", \"seqNumber\": 28, \"ack\": false}");
        assertEquals(0, run("transform", "sigfox", uplink.toString()));
        assertEquals(null, printed().get(0).get("downlink"), "no downlink asked for, none offered");
    }

    @Test
    void aSkippedEventPrintsAnEmptyArray() throws Exception {
        assertEquals(0, run("transform", "chirpstack", "src/test/resources/webhooks/chirpstack/v4-join-docs.json", "--query", "event=join"));
        assertEquals(0, printed().size());
    }

    @Test
    void aFormBodyIsDetectedAndTheQueryAndPathReachTheTransform() throws Exception {
        assertEquals(0, run("transform", "particle", "src/test/resources/webhooks/particle/default-form-body.txt"));
        assertEquals("3f002b000000000000000000", printed().get(0).get("deviceId").asText());

        out.reset();
        assertEquals(0, run("transform", "ttn", "src/test/resources/webhooks/ttn/uplink-field-mask-filtered.json",
                "--path", "eui-0004a30b001c0530"), err.toString(StandardCharsets.UTF_8));
        assertEquals(1, printed().size());
    }

    @Test
    void aRejectedBodyExplainsOnStderrAndExits2(@TempDir Path dir) throws Exception {
        Path body = Files.writeString(dir.resolve("bad.json"), "{\"device\": {\"deviceId\": \"<your device ID>\"}, \"measurements\": {}}");
        assertEquals(2, run("transform", "iotc", body.toString()));
        String said = err.toString(StandardCharsets.UTF_8);
        assertTrue(said.startsWith("rejected (HTTP 400): "), said);
        assertTrue(said.contains("'<your device ID>' is not a valid device id"), said);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void usageMistakesExit2() {
        assertEquals(2, run("transform", "iotc"));
        assertEquals(2, run("transform", "nosuchroute", "src/test/resources/webhooks/iotc-bridge/measurements-readme.json"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no route 'nosuchroute'"));
        assertEquals(2, run("transform", "iotc", "does-not-exist.json"));
        assertEquals(2, run("frobnicate"));
    }
}
