package dev.iotcbridge.server;

import java.io.PrintStream;
import java.util.Arrays;

/** {@code java -jar iotc-webhook-bridge.jar serve|transform ...}: the local server and the transform author's CLI. */
public final class Main {

    static final String USAGE = """
            usage:
              java -jar iotc-webhook-bridge.jar serve [--port N] [--settings local.settings.json]
                  serve /api/{route} like the Functions host; without IOTC_ID_SCOPE, against the embedded simulator
              java -jar iotc-webhook-bridge.jar transform ROUTE FILE [--query k=v ...] [--path a/b] [--content-type T]
                  print the canonical messages a webhook body becomes, as a JSON array; no network
              java -jar iotc-webhook-bridge.jar simulate [--port N] [--retry-after S] [--keep-message-ids N] [--print]
                  the IoT Central simulator alone (for benchmarks): prints the settings for `serve`, reads commands on stdin;
                  --retry-after: DPS's register Retry-After in seconds (default 1; real DPS asks 3)
            """;

    /** One line per record, like the Functions host's log stream ({@link LineFormatter} writes the same faster). */
    static final String LINE_FORMAT = "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n";

    private Main() {
    }

    public static void main(String[] args) {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", LINE_FORMAT);
        }
        int code = run(args, System.out, System.err);
        if (code != 0 || args.length == 0 || !args[0].equals("serve")) {
            System.exit(code);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.print(USAGE);
            return 2;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "serve" -> ServeCommand.run(rest, System.getenv(), out, err);
            case "transform" -> TransformCommand.run(rest, System.getenv(), out, err);
            case "simulate" -> SimulateCommand.run(rest, System.in, out, err);
            case "help", "--help", "-h" -> {
                out.print(USAGE);
                yield 0;
            }
            default -> {
                err.println("unknown command '" + args[0] + "'");
                err.print(USAGE);
                yield 2;
            }
        };
    }
}
