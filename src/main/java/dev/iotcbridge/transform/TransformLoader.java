package dev.iotcbridge.transform;

import dev.iotcbridge.config.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.thisptr.jackson.jq.JsonQuery;
import net.thisptr.jackson.jq.exception.JsonQueryException;

/** Turns the {@code {route}.jq} files of a folder into route transforms: compiles, reads directives, reports failures. */
final class TransformLoader {

    private static final Logger LOG = Logger.getLogger(TransformLoader.class.getName());
    static final Pattern ROUTE = Pattern.compile("[a-z0-9][a-z0-9_-]*");
    private static final Pattern SUCCESS_STATUS = Pattern.compile("#\\s*@success-status\\b\\s*(\\S*)\\s*");
    private static final Pattern DIRECTIVE = Pattern.compile("#\\s*@(\\S+).*");
    private static final Pattern LINE_COLUMN = Pattern.compile("line (\\d+), column (\\d+)");
    /** javacc: Encountered " "}" "} "" at line 3, column 19. */
    private static final Pattern UNEXPECTED_TOKEN = Pattern.compile("Encountered \" \\S+ \"(.*?) \"\"");
    private static final Pattern LOCATION_SUFFIX = Pattern.compile("\\s*at line \\d+, column \\d+\\.?");

    private final Path dir;
    private final Settings settings;
    private final TransformLimits limits;

    TransformLoader(Path dir, Settings settings, TransformLimits limits) {
        this.dir = dir;
        this.settings = settings;
        this.limits = limits;
    }

    Path dir() {
        return dir;
    }

    /** The route a file serves, or empty when it is not a transform (with a warning for a misnamed .jq file). */
    static Optional<String> routeOf(Path file, boolean warn) {
        String name = file.getFileName().toString();
        if (!name.endsWith(".jq") || !Files.isRegularFile(file)) {
            return Optional.empty();
        }
        String route = name.substring(0, name.length() - 3);
        if (!ROUTE.matcher(route).matches()) {
            if (warn) {
                LOG.warning(() -> "ignoring " + file + ": a route name is lower-case letters, digits, '-' and '_',"
                        + " starting with a letter or digit");
            }
            return Optional.empty();
        }
        return Optional.of(route);
    }

    /** Every transform file of the folder, route -> source text (an unreadable file maps to null). */
    Map<String, Source> readAll() {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("transforms folder " + dir.toAbsolutePath()
                    + " does not exist or is not a folder (BRIDGE_TRANSFORMS_DIR)");
        }
        Map<String, Source> sources = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.sorted().forEach(file -> routeOf(file, true).ifPresent(route -> sources.put(route, read(file))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the transforms folder " + dir.toAbsolutePath(), e);
        }
        return sources;
    }

    /** A file's text, or the reason it could not be read. */
    record Source(Path file, String text, String unreadable) {
    }

    static Source read(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            String text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            return new Source(file, text, null);
        } catch (CharacterCodingException e) {
            return new Source(file, null, "the file is not UTF-8 text");
        } catch (IOException e) {
            return new Source(file, null, "cannot read the file (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Compiles one transform; a failure gives a route that answers 500 and is logged here, once. */
    RouteTransform load(String route, Source source) {
        String shown = dir.getFileName() == null ? source.file().toString()
                : dir.getFileName().resolve(source.file().getFileName()).toString();
        try {
            if (source.unreadable() != null) {
                throw new LoadFailure(source.unreadable());
            }
            int status = successStatus(source.text());
            JsonQuery query = compile(source.text());
            return new JqRouteTransform(route, shown, query, settings.routeSettings(route), status, limits);
        } catch (LoadFailure e) {
            TransformFailure failure = new TransformFailure(shown, e.getMessage());
            LOG.severe(() -> "transform " + route + " does not load, its route will answer 500: " + shown + ": "
                    + e.getMessage());
            return new BrokenRouteTransform(route, failure);
        }
    }

    /** The {@code # @success-status N} directive of the leading comment lines; 200 when absent. */
    static int successStatus(String text) throws LoadFailure {
        int status = 200;
        boolean seen = false;
        int lineNo = 0;
        for (String line : text.split("\\R", -1)) {
            lineNo++;
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            if (!trimmed.startsWith("#")) {
                break;
            }
            Matcher m = SUCCESS_STATUS.matcher(trimmed);
            if (m.matches()) {
                if (seen) {
                    throw new LoadFailure("line " + lineNo + ": @success-status is declared twice");
                }
                seen = true;
                status = switch (m.group(1)) {
                    case "200" -> 200;
                    case "202" -> 202;
                    case "204" -> 204;
                    default -> throw new LoadFailure("line " + lineNo + ": @success-status must be 200, 202 or 204, not '"
                            + JsonText.clip(m.group(1), 20) + "'");
                };
            } else {
                Matcher d = DIRECTIVE.matcher(trimmed);
                if (d.matches()) {
                    throw new LoadFailure("line " + lineNo + ": unknown directive @" + JsonText.clip(d.group(1), 30)
                            + "; the only directive is @success-status");
                }
            }
        }
        return status;
    }

    private static JsonQuery compile(String text) throws LoadFailure {
        try {
            return JqEngine.compile(text);
        } catch (JsonQueryException e) {
            throw new LoadFailure(compileProblem(e));
        } catch (RuntimeException | Error e) {
            // javacc's TokenMgrError (an Error) on characters jq does not know
            throw new LoadFailure(compileProblem(e));
        }
    }

    /** jackson-jq's parse error, reduced to "line L, column C: cannot compile: what was found" (no expectation list). */
    static String compileProblem(Throwable e) {
        Throwable deepest = e;
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c.getMessage() != null) {
                deepest = c;
            }
        }
        String detail = deepest.getMessage() == null ? "" : deepest.getMessage().strip().lines().findFirst().orElse("");
        Matcher lc = LINE_COLUMN.matcher(detail);
        String where = lc.find() ? "line " + lc.group(1) + ", column " + lc.group(2) + ": " : "";
        Matcher token = UNEXPECTED_TOKEN.matcher(detail);
        String what;
        if (token.find()) {
            what = "unexpected \"" + token.group(1) + "\"";
        } else if (detail.contains("<EOF>")) {
            what = "unexpected end of the program (an unclosed bracket, string or if?)";
        } else {
            what = LOCATION_SUFFIX.matcher(detail).replaceAll("");
        }
        return where + "cannot compile: " + JsonText.clip(what.isBlank() ? "syntax error" : what, 200);
    }

    static final class LoadFailure extends Exception {
        private static final long serialVersionUID = 1L;

        LoadFailure(String message) {
            super(message, null, false, false);
        }
    }
}
