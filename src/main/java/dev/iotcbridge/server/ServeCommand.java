package dev.iotcbridge.server;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** {@code serve [--port N] [--settings FILE]}: runs until the process is stopped. */
final class ServeCommand {

    private ServeCommand() {
    }

    static int run(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
        Path settingsFile = Path.of("local.settings.json");
        Map<String, String> overrides = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (i + 1 >= args.length) {
                err.println(args[i] + " needs a value");
                return 2;
            }
            switch (args[i]) {
                case "--port" -> overrides.put("BRIDGE_PORT", args[++i]);
                case "--settings" -> settingsFile = Path.of(args[++i]);
                default -> {
                    err.println("unknown option " + args[i]);
                    err.print(Main.USAGE);
                    return 2;
                }
            }
        }
        try {
            Map<String, String> values = new HashMap<>(LocalSettings.read(settingsFile, environment));
            values.putAll(overrides);
            // one line per delivered message stays on the console, but written by its own thread (AsyncConsoleHandler)
            AsyncConsoleHandler.installOnRootLogger();
            LocalBridge bridge = LocalBridge.start(values, out);
            Runtime.getRuntime().addShutdownHook(new Thread(bridge::close, "bridge-shutdown"));
            bridge.awaitClosed();
            return 0;
        } catch (IllegalArgumentException | IOException e) {
            err.println("cannot start: " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
