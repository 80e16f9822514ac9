package dev.iotcbridge.server;

import dev.iotcbridge.sim.Simulator;
import dev.iotcbridge.sim.SimulatorOptions;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code simulate [--port N] [--retry-after S] [--keep-message-ids N] [--print]}: the embedded IoT Central simulator
 * alone, in its own process, so that a bridge started with {@code serve} against it can be measured without the
 * simulator's CPU and memory (the benchmark does this). Prints the settings a bridge needs, one {@code NAME=value}
 * per line, then {@code ready}. The group key printed is the simulator's own generated key, not anyone's secret.
 *
 * <p>It reads commands on standard input: {@code message-ids FILE} writes every accepted message id with its count
 * ({@code id count} per line) to FILE and answers {@code done}; {@code stop} or the end of input ends the process.
 */
final class SimulateCommand {

    private SimulateCommand() {
    }

    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        int port = 0;
        int retryAfter = LocalBridge.QUICK_START_RETRY_AFTER_SECONDS;
        int keepIds = 100_000;
        boolean print = false;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--print" -> print = true;
                    case "--port" -> port = Integer.parseInt(value(args, ++i));
                    case "--retry-after" -> retryAfter = Integer.parseInt(value(args, ++i));
                    case "--keep-message-ids" -> keepIds = Integer.parseInt(value(args, ++i));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
        } catch (IllegalArgumentException e) {
            err.println(e instanceof NumberFormatException ? "options take whole numbers" : e.getMessage());
            err.print(Main.USAGE);
            return 2;
        }
        SimulatorOptions.Builder options = SimulatorOptions.builder()
                .ports(port, 0, 0)
                .retryAfterSeconds(retryAfter)
                .keepRecentMessages(100)
                .keepMessageIds(keepIds);
        if (print) {
            options.telemetryPrinter(out::println);
        }
        Simulator sim;
        try {
            sim = Simulator.start(options.build());
        } catch (IOException | IllegalArgumentException e) {
            err.println("cannot start the simulator: " + e.getMessage());
            return 2;
        }
        out.println("IOTC_ID_SCOPE=" + sim.idScope());
        out.println("IOTC_DPS_HOST=" + sim.dpsHost());
        out.println("IOTC_GROUP_KEY=" + sim.groupKey().reveal());
        out.println("BRIDGE_ALLOW_HTTP=" + !sim.https());
        out.println("# DPS Retry-After: " + retryAfter + " s" + (retryAfter == 3 ? " (as real DPS)"
                : " (real DPS asks 3 s; --retry-after 3 rehearses it)"));
        out.println("# control API: http://" + sim.dpsHost() + "/sim/ (hubs " + String.join(", ", sim.hubHosts()) + ")");
        out.println("ready");
        out.flush();
        try (sim; BufferedReader commands = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = commands.readLine()) != null; ) {
                line = line.strip();
                if (line.equals("stop")) {
                    break;
                }
                if (line.startsWith("message-ids ")) {
                    writeMessageIds(sim, Path.of(line.substring("message-ids ".length()).strip()));
                    out.println("done");
                } else if (!line.isEmpty()) {
                    out.println("unknown command: use 'message-ids FILE' or 'stop'");
                }
                out.flush();
            }
        } catch (IOException e) {
            err.println("simulator: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    private static void writeMessageIds(Simulator sim, Path file) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Map.Entry<String, Integer> e : sim.counters().messagesPerMessageId().entrySet()) {
                w.write(e.getKey());
                w.write(' ');
                w.write(Integer.toString(e.getValue()));
                w.newLine();
            }
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }
}
