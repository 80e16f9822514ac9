package dev.iotcbridge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * README's settings table and local.settings.json.example say what the declarations in {@link Settings} say: a
 * setting added, renamed, re-ranged or re-defaulted in the code without its documentation fails here, with the rows
 * to paste.
 */
class SettingsDocumentationTest {

    /** Settings of the Functions host itself, which the example file carries for `func start`; the bridge reads none. */
    private static final Set<String> HOST_SETTINGS = Set.of("FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage");

    @Test
    void theReadmeTableIsTheDeclarations() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("\n## Settings\n");
        int header = readme.indexOf("\n| setting |", section);
        if (section < 0 || header < 0) {
            fail("README.md has no '## Settings' section with a '| setting |' table");
        }
        List<String> documented = new ArrayList<>();
        for (String line : readme.substring(header + 1).split("\n")) {
            if (!line.startsWith("|")) {
                break;
            }
            documented.add(line);
        }
        assertEquals(String.join("\n", expectedTable()), String.join("\n", documented),
                "README.md's settings table differs from the declarations in Settings: paste the expected table");
    }

    @Test
    void theExampleFileListsEverySettingWithItsDefault() throws IOException {
        JsonNode values = new ObjectMapper().readTree(Path.of("local.settings.json.example").toFile()).path("Values");
        Map<String, String> expected = new LinkedHashMap<>();
        for (Setting s : Settings.declarations()) {
            if (!s.name().contains("<")) {
                expected.put(s.name(), s.fallback());
            }
        }
        Map<String, String> listed = new LinkedHashMap<>();
        values.fields().forEachRemaining(e -> {
            String name = e.getKey();
            boolean familyExample = Settings.declarations().stream().anyMatch(s -> s.name().contains("<")
                    && name.startsWith(s.name().substring(0, s.name().indexOf('<'))));
            if (!HOST_SETTINGS.contains(name) && !familyExample) {
                listed.put(name, e.getValue().asText());
            }
        });
        Set<String> missing = new TreeSet<>(expected.keySet());
        missing.removeAll(listed.keySet());
        Set<String> unknown = new TreeSet<>(listed.keySet());
        unknown.removeAll(expected.keySet());
        assertEquals(Set.of(), missing, "settings missing from local.settings.json.example");
        assertEquals(Set.of(), unknown, "local.settings.json.example lists settings the bridge does not read");
        expected.forEach((name, fallback) -> assertEquals(fallback, listed.get(name),
                "local.settings.json.example: " + name + " should show its default"));
    }

    @Test
    void everyDeclarationReadsItsOwnDefault() {
        // the defaults as written must pass their own rules, or a fresh install would not start
        Settings defaults = Settings.from(Map.of());
        assertEquals(Duration.ofSeconds(4), defaults.requestBudget());
        for (Setting s : Settings.declarations()) {
            if (!s.fallback().isEmpty() && s.min() != Long.MIN_VALUE) {
                long n = Long.parseLong(s.fallback());
                if (n < s.min() || n > s.max()) {
                    fail(s.name() + "'s default " + n + " is outside its own range");
                }
            }
        }
    }

    /** The README table the declarations describe. */
    static List<String> expectedTable() {
        List<String> rows = new ArrayList<>();
        rows.add("| setting | default | allowed | meaning |");
        rows.add("|---|---|---|---|");
        for (RecordComponent c : Settings.class.getRecordComponents()) {
            Setting s = c.getAnnotation(Setting.class);
            String shownDefault = !s.shown().isEmpty() ? s.shown() : s.fallback().isEmpty() ? "—" : "`" + s.fallback() + "`";
            rows.add("| `" + s.name() + "` | " + shownDefault + " | " + allowed(c, s) + " | " + s.meaning() + " |");
        }
        return rows;
    }

    private static String allowed(RecordComponent c, Setting s) {
        switch (s.form()) {
            case GROUP_KEY:
                return "base64, at least 16 bytes";
            case HOST_PORT:
                return "host[:port]";
            case QUEUE_NAME:
                return "3-56 of `a-z 0-9 -`";
            case MANAGED_IDENTITY:
                return "`managedidentity`";
            case CLIENT_ID:
                return "a GUID";
            default:
                break;
        }
        Class<?> type = c.getType();
        if (type == boolean.class) {
            return "`true`, `false`";
        }
        if (s.min() != Long.MIN_VALUE || s.max() != Long.MAX_VALUE) {
            return s.min() + "-" + s.max();
        }
        if (type == Map.class) {
            return "text";
        }
        if (type == Optional.class && c.getGenericType().getTypeName().contains("Secret")) {
            return "text (secret)";
        }
        if (type == Optional.class && c.getGenericType().getTypeName().contains("Path")) {
            return "a folder";
        }
        if (type == Optional.class && c.getGenericType().getTypeName().contains("URI")) {
            return "an https URI";
        }
        return "text";
    }
}
