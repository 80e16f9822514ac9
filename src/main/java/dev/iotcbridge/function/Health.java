package dev.iotcbridge.function;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.bridge.BridgeRuntime;
import dev.iotcbridge.bridge.WebhookResponse;
import dev.iotcbridge.error.BridgeFaultException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The answer to {@code GET /api/health}: whether this instance can serve, that is its settings read and checked, its
 * transforms compiled and its clients built (the start the first call would otherwise make). It calls neither DPS nor
 * a hub: a probe every few seconds must not spend the DPS quota, and whether IoT Central accepts the group key shows
 * in the calls' answers and logs.
 */
final class Health {

    private Health() {
    }

    static WebhookResponse of(Supplier<BridgeRuntime> runtime) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        int status = 200;
        try {
            BridgeRuntime r = runtime.get();
            body.put("status", "ok");
            body.put("mode", r.settings().durable() ? "durable" : "synchronous");
            body.put("routes", r.transforms().routes().size());
        } catch (BridgeFaultException e) {
            status = 503;
            body.put("status", "unusable");
            body.put("error", e.getMessage()); // a start's failure names the setting, never its value
        }
        return new WebhookResponse(status, Map.of("Content-Type", "application/json; charset=utf-8"),
                body.toString().getBytes(StandardCharsets.UTF_8));
    }
}
