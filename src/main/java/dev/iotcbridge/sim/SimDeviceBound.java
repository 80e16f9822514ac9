package dev.iotcbridge.sim;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One hub's device-side cloud-to-device API over HTTPS (docs/azure-protocol.md §4), for the devices that live in it:
 * <pre>
 * GET    /devices/{id}/messages/deviceBound                 200 + the command (ETag: its lock), or 204
 * DELETE /devices/{id}/messages/deviceBound/{lock}          complete                    204, or 412 lock lost
 * DELETE /devices/{id}/messages/deviceBound/{lock}?reject   reject (dead-letter)        204, or 412
 * POST   /devices/{id}/messages/deviceBound/{lock}/abandon  abandon (back in the queue) 204, or 412
 * </pre>
 * Each request is checked like send-event: api-version, the device's own SAS token for this hub, the device assigned
 * here, not blocked nor disabled.
 */
final class SimDeviceBound {

    private final SimCommands commands;
    private final DeviceRegistry registry;
    private final DeviceKeys keys;
    private final HubId hub;
    private final Function<SimError, SimResponse> errors;

    SimDeviceBound(SimCommands commands, DeviceRegistry registry, DeviceKeys keys, HubId hub, Function<SimError, SimResponse> errors) {
        this.commands = commands;
        this.registry = registry;
        this.keys = keys;
        this.hub = hub;
        this.errors = errors;
    }

    /** Whether the path is this API's: {@code devices/{id}/messages/deviceBound[/...]}, the last segment in any case. */
    static boolean matches(String[] path) {
        return path.length >= 4 && path.length <= 6 && path[0].equals("devices") && path[2].equals("messages")
                && path[3].equalsIgnoreCase("deviceBound");
    }

    SimResponse serve(SimRequest request, String[] path, String host, String apiVersion, Instant now) {
        if (apiVersion == null) {
            return errors.apply(SimError.argumentInvalid("The api-version query parameter is missing or not supported."));
        }
        String deviceId = path[1];
        Optional<String> refused = SasCheck.problem(request.header("authorization"), host + "/devices/" + deviceId,
                SasCheck.Audience.HUB, keys.keyOf(deviceId), now);
        if (refused.isPresent()) {
            return errors.apply(SimError.unauthorized().withMessage("Unauthorized: " + refused.get() + "."));
        }
        Optional<SimDevice> known = registry.findExact(deviceId);
        if (known.flatMap(d -> d.disabledIn(now)).equals(Optional.of(hub))) {
            return errors.apply(SimError.iotHubUnauthorized("DEVICE_DISABLED"));
        }
        Optional<SimDevice> device = known.filter(d -> d.hub(now).equals(Optional.of(hub)));
        if (device.isEmpty() || device.get().forgotten()) {
            return errors.apply(SimError.deviceNotFound().withMessage("Device " + deviceId + " not registered in hub " + host + "."));
        }
        // the same answers as send-event's (SimHub, docs/azure-protocol.md §3.5)
        if (device.get().blocked()) {
            return errors.apply(SimError.iotHubUnauthorized("DEVICE_BLOCKED"));
        }
        if (device.get().disabled()) {
            return errors.apply(SimError.iotHubUnauthorized("DEVICE_DISABLED"));
        }
        String method = request.method();
        if (path.length == 4) {
            return method.equals("GET") ? receive(deviceId, now)
                    : errors.apply(SimError.of(405, 405000, "MethodNotAllowed", "Receive cloud-to-device messages with GET."));
        }
        String lock = path[4];
        SimCommands.Settled settled;
        if (path.length == 5 && method.equals("DELETE")) {
            boolean reject = Query.parse(request.rawQuery()).containsKey("reject");
            settled = reject ? commands.reject(deviceId, lock, now) : commands.complete(deviceId, lock, now);
        } else if (path.length == 6 && path[5].equals("abandon") && method.equals("POST")) {
            settled = commands.abandon(deviceId, lock, now);
        } else {
            return errors.apply(SimError.of(404, 404000, "NotFound", "Settle a message with DELETE .../deviceBound/{etag}"
                    + "[?reject] or POST .../deviceBound/{etag}/abandon."));
        }
        return settled == SimCommands.Settled.DONE ? SimResponse.NO_CONTENT : errors.apply(SimError.lockLost());
    }

    private SimResponse receive(String deviceId, Instant now) {
        Optional<SimCommands.Locked> next = commands.receive(deviceId, now);
        if (next.isEmpty()) {
            return SimResponse.NO_CONTENT;
        }
        SimCommands.Command c = next.get().command();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("ETag", "\"" + next.get().lockToken() + "\"");
        headers.put("Content-Type", "application/octet-stream");
        headers.put("iothub-messageid", c.messageId());
        headers.put("iothub-to", "/devices/" + deviceId + "/messages/deviceBound");
        headers.put("iothub-expiry", c.expiresAt().toString());
        headers.put("iothub-enqueuedtime", c.enqueuedAt().toString());
        headers.put("iothub-deliverycount", Integer.toString(c.deliveryCount()));
        headers.put("iothub-sequencenumber", Long.toString(c.sequenceNumber()));
        headers.put("iothub-ack", "none");
        headers.put("iothub-app-method-name", c.methodName());
        return new SimResponse(200, headers, c.payload(), false);
    }
}
