package dev.iotcbridge.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code jcmd} against the bridge process: full GC and heap occupancy, without an agent in the bridge. */
final class Jcmd {

    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    private Jcmd() {
    }

    static String run(long pid, String... command) {
        String[] cmd = new String[command.length + 2];
        cmd[0] = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        cmd[1] = Long.toString(pid);
        System.arraycopy(command, 0, cmd, 2, command.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("jcmd " + String.join(" ", command) + " did not finish");
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run jcmd: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Heap in use, from {@code GC.heap_info}: the sum of the generations' "used" (Serial, Parallel) or the one
     * "garbage-first heap ... used" line (G1). Metaspace lines are not heap and are skipped.
     */
    static double heapUsedMiB(long pid) {
        String info = run(pid, "GC.heap_info");
        long kib = 0;
        for (String line : info.split("\n")) {
            String t = line.trim();
            if (t.startsWith("Metaspace") || t.startsWith("class space") || t.startsWith("eden") || t.startsWith("from")
                    || t.startsWith("to ") || t.startsWith("the space") || t.startsWith("region size")) {
                continue;
            }
            Matcher m = USED.matcher(t);
            if (m.find()) {
                kib += Long.parseLong(m.group(1));
            }
        }
        return kib / 1024.0;
    }
}
