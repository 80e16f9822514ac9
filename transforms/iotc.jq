# Azure IoT Central device bridge (the reference Node bridge) body, accepted unchanged:
#   {"device": {"deviceId": "...", "modelId": "dtmi:..."?}, "measurements": {...}, "timestamp": "..."?}
# Users of the reference bridge switch by changing the URL only. The device id is kept exactly as sent
# (not lower-cased): the reference bridge derived each device's key from that spelling, and the key
# derivation is case-sensitive. The handler validates it (400 for ids DPS refuses).
# Settings (app setting BRIDGE_ROUTE_IOTC_<NAME>, or ?<name>= on the URL, which wins):
#   model_id   DTMI for devices whose body gives no device.modelId
# An optional top-level "messageId" (not in the reference format) is passed through, so a sender that
# retries can let IoT Central recognise the duplicates.

# the happy path first: one test for a well-formed body, the error chain only for a bad one
if type == "object" and (.device | type) == "object" and (.device.deviceId | type) == "string"
   and (.measurements | type) == "object" then
  # absent fields are left out rather than sent as null; built without jq-defined functions (with_entries, a
  # def), each of which costs a scope per call: this is the bridge's most used transform
  {deviceId: .device.deviceId, telemetry: .measurements}
  + (if .timestamp != null then {timestamp: .timestamp} else {} end)
  + ((.device.modelId // $query.model_id // $config.model_id) as $model
     | if $model != null then {modelId: $model} else {} end)
  + (if .messageId != null then {messageId: .messageId} else {} end)
elif type != "object" then error("iotc: the body must be a JSON object {\"device\": {\"deviceId\"}, \"measurements\"}, got \(type)")
elif (.device | type) != "object" then error("iotc: no device id: the body has no device object (device.deviceId)")
elif .device.deviceId == null then error("iotc: no device id: the body has no device.deviceId")
elif (.device.deviceId | type) != "string" then error("iotc: device.deviceId must be a string, got \(.device.deviceId | type)")
elif .measurements == null then error("iotc: no measurements: the body has no measurements object")
else error("iotc: measurements must be an object, got \(.measurements | type)")
end
