# Azure IoT Central device bridge (the reference Node bridge) body, accepted unchanged:
#   {"device": {"deviceId": "...", "modelId": "dtmi:..."?}, "measurements": {...}, "timestamp": "..."?}
# Users of the reference bridge switch by changing the URL only. The device id is kept exactly as sent
# (not lower-cased): the reference bridge derived each device's key from that spelling, and the key
# derivation is case-sensitive. The handler validates it (400 for ids DPS refuses).
# Settings (app setting BRIDGE_ROUTE_IOTC_<NAME>, or ?<name>= on the URL, which wins):
#   model_id   DTMI for devices whose body gives no device.modelId

def setting($name): $query[$name] // $config[$name];

if type != "object" then error("iotc: the body must be a JSON object {\"device\": {\"deviceId\"}, \"measurements\"}, got \(type)")
elif (.device | type) != "object" then error("iotc: no device id: the body has no device object with deviceId")
elif .device.deviceId == null then error("iotc: no device id: the body has no device.deviceId")
elif (.device.deviceId | type) != "string" then error("iotc: device.deviceId must be a string, got \(.device.deviceId | type)")
elif .measurements == null then error("iotc: no measurements: the body has no measurements object")
elif (.measurements | type) != "object" then error("iotc: measurements must be an object, got \(.measurements | type)")
else
  {
    deviceId: .device.deviceId,
    telemetry: .measurements,
    timestamp: .timestamp,
    modelId: (.device.modelId // setting("model_id"))
  }
  | with_entries(select(.value != null))
end
