package dev.iotcbridge.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iotcbridge.config.InvalidSettingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the local server finds its settings: the {@code Values} of local.settings.json (the Functions
 * tooling's file, so the same file serves both), overridden by environment variables, as the Functions
 * host does.
 */
final class LocalSettings {

    private LocalSettings() {
    }

    static Map<String, String> read(Path file, Map<String, String> environment) {
        Map<String, String> values = new HashMap<>();
        if (Files.isRegularFile(file)) {
            try {
                JsonNode root = new ObjectMapper().readTree(file.toFile());
                JsonNode v = root.path("Values");
                if (!v.isMissingNode() && !v.isObject()) {
                    throw new InvalidSettingException(file + ": \"Values\" must be an object of settings");
                }
                v.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
            } catch (IOException e) {
                throw new InvalidSettingException(file + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
        values.putAll(environment);
        return values;
    }
}
