package dev.iotcbridge.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.bridge.BridgeRuntime;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.config.Settings;
import dev.iotcbridge.downlink.DownlinkStep;
import dev.iotcbridge.error.BridgeException;
import dev.iotcbridge.iot.DeviceMessage;
import dev.iotcbridge.iot.TelemetrySender;
import dev.iotcbridge.transform.TransformCatalog;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The transform author's loop: a saved webhook body through a route's transform and the bridge's validation,
 * printed as the canonical messages the hub would receive. Sends nothing.
 */
final class TransformCommand {

    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private TransformCommand() {
    }

    static int run(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
        if (args.length < 2) {
            err.print(Main.USAGE);
            return 2;
        }
        String route = args[0];
        Path file = Path.of(args[1]);
        Map<String, String> query = new HashMap<>();
        String path = "";
        String contentType = args[1].endsWith(".json") || !args[1].contains(".") ? "application/json" : null;
        for (int i = 2; i < args.length; i++) {
            String option = args[i];
            if (i + 1 >= args.length) {
                err.println(option + " needs a value");
                return 2;
            }
            String value = args[++i];
            switch (option) {
                case "--query" -> {
                    int eq = value.indexOf('=');
                    query.put(eq < 0 ? value : value.substring(0, eq), eq < 0 ? "" : value.substring(eq + 1));
                }
                case "--path" -> path = value;
                case "--content-type" -> contentType = value;
                default -> {
                    err.println("unknown option " + option);
                    err.print(Main.USAGE);
                    return 2;
                }
            }
        }
        if (contentType == null) {
            contentType = looksLikeJson(file) ? "application/json" : "application/x-www-form-urlencoded";
        }
        byte[] body;
        try {
            body = Files.readAllBytes(file);
        } catch (IOException e) {
            err.println("cannot read " + file + ": " + e.getMessage());
            return 2;
        }
        try {
            Settings settings = Settings.from(LocalSettings.read(Path.of("local.settings.json"), environment));
            try (TransformCatalog transforms = BridgeRuntime.openTransforms(settings, false)) {
                TelemetrySender nowhere = (m, b) -> {
                    throw new IllegalStateException("the transform command sends nothing");
                };
                WebhookHandler handler = new WebhookHandler(settings, transforms, nowhere, Runnable::run);
                WebhookHandler.Call call = handler.preview(
                        new WebhookRequest(route, path, query, Map.of("content-type", contentType), body));
                out.println(JSON.writeValueAsString(canonical(call)));
                return 0;
            }
        } catch (BridgeException e) {
            err.println("rejected (HTTP " + e.status() + "): " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException | IOException e) {
            err.println(e.getMessage());
            return 2;
        }
    }

    /**
     * The messages as the canonical JSON a transform author wrote, after the bridge's normalisation, each with the
     * downlink its sender offers for the device (the {@code downlink} field, as the transform wrote it).
     */
    private static ArrayNode canonical(WebhookHandler.Call call) throws IOException {
        ArrayNode array = JSON.createArrayNode();
        Map<String, JsonNode> offers = new HashMap<>();
        for (DownlinkStep.Offer o : call.offers()) {
            offers.putIfAbsent(o.deviceId(), o.downlink());
        }
        for (DeviceMessage m : call.messages()) {
            ObjectNode o = array.addObject();
            o.put("deviceId", m.deviceId());
            o.set("telemetry", JSON.readTree(m.body()));
            m.creationTimeUtc().ifPresent(t -> o.put("timestamp", t));
            m.modelId().ifPresent(t -> o.put("modelId", t));
            m.component().ifPresent(t -> o.put("component", t));
            if (!m.properties().isEmpty()) {
                o.set("properties", JSON.valueToTree(m.properties()));
            }
            m.messageId().ifPresent(t -> o.put("messageId", t));
            JsonNode offer = offers.remove(m.deviceId());
            if (offer != null) {
                o.set("downlink", offer);
            }
        }
        return array;
    }

    private static boolean looksLikeJson(Path file) {
        try {
            String start = Files.readString(file).stripLeading();
            return start.startsWith("{") || start.startsWith("[");
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }
}
