package dev.iotcbridge.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * target/bench: the bridge's transforms folder for the benchmark and the processes' logs.
 *
 * <p>The shipped iotc transform maps no message id (the reference body format has none). The benchmark needs one per
 * webhook for its exact delivery check, so it runs a copy of the shipped transforms in which iotc.jq also maps
 * {@code ?messageId=}. The copy is made from the shipped file at every run (its messageId line changed), so
 * the benchmark always measures the shipped transform's work plus that one field.
 */
final class BenchWorkspace {

    /** Where the shipped transform passes a body's top-level messageId; the benchmark's ?messageId= comes first. */
    private static final String BODY_MESSAGE_ID = "if .messageId != null then {messageId: .messageId} else {} end";
    private static final String BENCH_MESSAGE_ID =
            "($query.messageId // .messageId) as $id | if $id != null then {messageId: $id} else {} end";

    private BenchWorkspace() {
    }

    static Path prepare(BenchOptions o, Path shippedTransforms) throws IOException {
        Path dir = o.workDir().resolve("transforms");
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(shippedTransforms)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".jq"))::iterator) {
                Files.copy(f, dir.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path iotc = dir.resolve("iotc.jq");
        String text = Files.readString(iotc);
        if (!text.contains(BODY_MESSAGE_ID)) {
            throw new IllegalStateException("transforms/iotc.jq changed: the benchmark maps ?messageId= where it says '"
                    + BODY_MESSAGE_ID + "'; update BenchWorkspace");
        }
        Files.writeString(iotc, text.replace(BODY_MESSAGE_ID, BENCH_MESSAGE_ID));
        Files.writeString(o.workDir().resolve("quiet-logging.properties"), """
                handlers=java.util.logging.ConsoleHandler
                .level=INFO
                java.util.logging.ConsoleHandler.level=INFO
                dev.iotcbridge.bridge.WebhookHandler.level=WARNING
                """);
        return dir;
    }
}
