package dev.iotcbridge.transform;

import dev.iotcbridge.config.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    private static final Pattern DOWNLINK_HOSTS = Pattern.compile("#\\s*@downlink-hosts\\b\\s*(.*)");
    /** A host name, or a domain whose subdomains are allowed when it starts with '.'. */
    private static final Pattern HOST = Pattern.compile("\\.?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?");
    /** A route's downlink mapping sits beside its transform: {@code ttn.jq} and {@code ttn.downlink.jq}. */
    static final String MAPPING_SUFFIX = ".downlink.jq";
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
        if (!name.endsWith(".jq") || name.endsWith(MAPPING_SUFFIX) || !Files.isRegularFile(file)) {
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
            files.sorted().forEach(file -> routeOf(file, true).ifPresent(route -> {
                Path mapping = dir.resolve(route + MAPPING_SUFFIX);
                sources.put(route, read(file, Files.isRegularFile(mapping) ? read(mapping, null) : null));
            }));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the transforms folder " + dir.toAbsolutePath(), e);
        }
        warnAboutOrphanMappings(sources);
        return sources;
    }

    private void warnAboutOrphanMappings(Map<String, Source> sources) {
        try (Stream<Path> files = Files.list(dir)) {
            files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(MAPPING_SUFFIX)).sorted()
                    .filter(n -> !sources.containsKey(n.substring(0, n.length() - MAPPING_SUFFIX.length())))
                    .forEach(n -> LOG.warning(() -> "ignoring " + dir.resolve(n) + ": a downlink mapping serves the route of "
                            + "the transform beside it, and there is no " + n.replace(MAPPING_SUFFIX, ".jq")));
        } catch (IOException e) {
            // the listing just worked; a second failure only costs the warning
        }
    }

    /**
     * A file's text, or the reason it could not be read.
     *
     * @param mapping the route's downlink mapping file ({@code {route}.downlink.jq}), or null when it has none
     */
    record Source(Path file, String text, String unreadable, Source mapping) {
    }

    static Source read(Path file) {
        return read(file, null);
    }

    static Source read(Path file, Source mapping) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            String text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            return new Source(file, text, null, mapping);
        } catch (CharacterCodingException e) {
            return new Source(file, null, "the file is not UTF-8 text", mapping);
        } catch (IOException e) {
            return new Source(file, null, "cannot read the file (" + e.getClass().getSimpleName() + ")", mapping);
        }
    }

    /** Compiles one transform; a failure gives a route that answers 500 and is logged here, once. */
    RouteTransform load(String route, Source source) {
        String shown = shown(source.file());
        try {
            if (source.unreadable() != null) {
                throw new LoadFailure(source.unreadable());
            }
            Directives directives = directives(source.text());
            JsonQuery query = compile(source.text());
            Map<String, String> config = RouteDownlinks.visibleSettings(settings.routeSettings(route));
            return new JqRouteTransform(route, shown, query, config, directives.successStatus(), limits,
                    downlinks(route, source.mapping(), config, directives.downlinkHosts()));
        } catch (LoadFailure e) {
            TransformFailure failure = new TransformFailure(shown, e.getMessage());
            LOG.severe(() -> "transform " + route + " does not load, its route will answer 500: " + shown + ": "
                    + e.getMessage());
            return new BrokenRouteTransform(route, failure);
        }
    }

    private String shown(Path file) {
        return dir.getFileName() == null ? file.toString() : dir.getFileName().resolve(file.getFileName()).toString();
    }

    /**
     * The route's downlink mapping, compiled like a transform and run like one (its input is the command), named
     * {@code {route}.downlink} in its errors. A mapping that does not load is logged here, once.
     */
    private RouteDownlinks downlinks(String route, Source mapping, Map<String, String> config, List<String> hosts) {
        if (mapping == null) {
            return new RouteDownlinks(Optional.empty(), Optional.empty(), hosts);
        }
        String shown = shown(mapping.file());
        try {
            if (mapping.unreadable() != null) {
                throw new LoadFailure(mapping.unreadable());
            }
            JsonQuery query = compile(mapping.text());
            return new RouteDownlinks(Optional.of(new JqRouteTransform(route + ".downlink", shown, query, config, 200, limits)),
                    Optional.empty(), hosts);
        } catch (LoadFailure e) {
            String problem = new TransformFailure(shown, e.getMessage()).message(route + ".downlink");
            LOG.severe(() -> problem + "; the route receives no command until it is fixed");
            return new RouteDownlinks(Optional.empty(), Optional.of(problem), hosts);
        }
    }

    /** What the leading comment lines declare. */
    record Directives(int successStatus, List<String> downlinkHosts) {
    }

    /** The {@code # @success-status N} directive of the leading comment lines; 200 when absent. */
    static int successStatus(String text) throws LoadFailure {
        return directives(text).successStatus();
    }

    /**
     * The directives of the leading comment lines: {@code # @success-status N} (200 when absent) and
     * {@code # @downlink-hosts host .domain ...} (the hosts downlink requests may go to, none when absent).
     */
    static Directives directives(String text) throws LoadFailure {
        int status = 200;
        List<String> hosts = List.of();
        boolean hostsSeen = false;
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
            } else if (DOWNLINK_HOSTS.matcher(trimmed).matches()) {
                if (hostsSeen) {
                    throw new LoadFailure("line " + lineNo + ": @downlink-hosts is declared twice");
                }
                hostsSeen = true;
                hosts = hosts(lineNo, DOWNLINK_HOSTS.matcher(trimmed).replaceFirst("$1"));
            } else {
                Matcher d = DIRECTIVE.matcher(trimmed);
                if (d.matches()) {
                    throw new LoadFailure("line " + lineNo + ": unknown directive @" + JsonText.clip(d.group(1), 30)
                            + "; the directives are @success-status and @downlink-hosts");
                }
            }
        }
        return new Directives(status, hosts);
    }

    private static List<String> hosts(int lineNo, String list) throws LoadFailure {
        List<String> hosts = new ArrayList<>();
        for (String h : list.trim().split("[\\s,]+")) {
            if (h.isEmpty()) {
                continue;
            }
            if (!HOST.matcher(h).matches()) {
                throw new LoadFailure("line " + lineNo + ": @downlink-hosts takes host names (a leading '.' allows "
                        + "subdomains), not '" + JsonText.clip(h, 40) + "'");
            }
            hosts.add(h.toLowerCase(java.util.Locale.ROOT));
        }
        if (hosts.isEmpty()) {
            throw new LoadFailure("line " + lineNo + ": @downlink-hosts names no host");
        }
        return List.copyOf(hosts);
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
