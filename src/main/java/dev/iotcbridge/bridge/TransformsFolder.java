package dev.iotcbridge.bridge;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the transforms live when no folder is configured: beside the jar (a Function App's wwwroot holds the
 * jar and the transforms/ folder the build copied next to it), else the project's folder when run from
 * target/, else ./transforms.
 */
final class TransformsFolder {

    private TransformsFolder() {
    }

    static Path resolve(Optional<Path> configured) {
        if (configured.isPresent()) {
            return configured.get();
        }
        Optional<Path> codeDir = codeDirectory();
        if (codeDir.isPresent()) {
            Path beside = codeDir.get().resolve("transforms");
            if (Files.isDirectory(beside)) {
                return beside;
            }
            Path parent = codeDir.get().getParent();
            if (parent != null && Files.isDirectory(parent.resolve("transforms"))) {
                return parent.resolve("transforms");
            }
        }
        return Path.of("transforms");
    }

    private static Optional<Path> codeDirectory() {
        try {
            var source = TransformsFolder.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return Optional.empty();
            }
            Path location = Path.of(source.getLocation().toURI());
            // a jar's folder, or for classes/ in a build, target/
            return Optional.ofNullable(location.getParent());
        } catch (URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
