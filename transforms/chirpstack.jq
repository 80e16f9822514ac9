# ChirpStack HTTP integration (v4, and v3's JSON / JSON_V3 bodies) -> canonical messages. docs/clouds.md#chirpstack
# ChirpStack names the event in the URL (?event=up|join|ack|txack|log|status|location|integration), not in the
# body: only "up" is forwarded, every other event is acknowledged and skipped. Without ?event= (v3's legacy
# per-event URLs) a body carrying data, object or objectJSON is taken as an uplink, anything else is skipped.
#   deviceId   deviceInfo.devEui (v4); devEUI (v3: base64 with the JSON marshaler, hex with JSON_V3), lower hex
#   telemetry  object (v4, JSON_V3) or objectJSON (v3, a JSON string) as is; without a codec, data decoded with
#              payload_config or forwarded raw as {"payload_hex"}
#   timestamp  time (v4: the gateway's time when it has one, else the network server's); v3: publishedAt, else
#              the earliest rxInfo[].time
#   messageId  chirpstack-<deviceId>-<fCnt> (a missing fCnt is 0);  properties: fport, fcnt, rssi, snr, gateway, gateways
#   downlink   with app settings api_url (the REST API's base URL) and api_key (an API token), the device's queued
#              IoT Central command is enqueued through ChirpStack's REST API: v4 POST {api_url}/api/devices/{devEui}/queue
#              {"queueItem": {"confirmed", "fPort", "data"}}, v3 the same path with {"deviceQueueItem": ...}, with
#              Grpc-Metadata-Authorization: Bearer <api_key>. docs/commands.md#chirpstack
# Settings (app setting BRIDGE_ROUTE_CHIRPSTACK_<NAME>, or ?<name>= on the integration URL, which wins):
#   model_id, payload_config, raw_payload (forward | skip), as in docs/clouds.md
#   downlink_port, downlink_max_bytes (as for ttn); api_url and api_key are read from app settings only

def setting($name): $query[$name] // $config[$name];
# v3's JSON marshaler encodes bytes (ids too) as base64; JSON_V3 and v4 as hex.
def eui: if test("^[0-9A-Fa-f]+$") then ascii_downcase
         elif test("^[A-Za-z0-9+/]+={0,2}$") and (length % 4 == 0) then base64_bytes | bytes_hex
         else . end;
# a downlink problem never fails the uplink: what cannot be read gives no limit, and the network decides
def max_downlink($sf):
  if setting("downlink_max_bytes") != null then setting("downlink_max_bytes") | tonumber? // null
  else try ($sf | lorawan_max_bytes) catch null end;
def downlink($dev; $v3; $sf):
  if ($config.api_url // "") == "" then null
  else {
    request: {
      url: "\($config.api_url | sub("/+$"; ""))/api/devices/\($dev)/queue",
      auth: {header: "Grpc-Metadata-Authorization", from: {setting: "api_key"}},
      body: {(if $v3 then "deviceQueueItem" else "queueItem" end): {confirmed: "{{confirmed}}", fPort: "{{port}}", data: "{{base64}}"}}
    },
    maxBytes: max_downlink($sf),
    ports: [1, 223]
  } end;
def telemetry($decoded; $hex):
  if ($decoded | type) == "object" then $decoded
  elif $hex == null or $hex == "" then null
  elif setting("payload_config") != null then $hex | sigfox_decode(setting("payload_config"))
  elif (setting("raw_payload") // "forward") == "forward" then {payload_hex: $hex}
  elif setting("raw_payload") == "skip" then null
  else error("chirpstack: setting raw_payload must be forward or skip, got \(setting("raw_payload"))") end;

if type != "object" then error("chirpstack: the body must be a JSON object, got \(type) (set the integration's payload encoding to JSON, not Protobuf)")
elif ($query.event // (if has("data") or has("object") or has("objectJSON") then "up" else "" end)) != "up" then empty
else
  (if .deviceInfo != null then
     if (.deviceInfo | type) != "object" then error("chirpstack: deviceInfo must be an object, got \(.deviceInfo | type)")
     else .deviceInfo.devEui end
   else .devEUI end
   | if . == null then error("chirpstack: no device id: the body has no deviceInfo.devEui (v4) or devEUI (v3)")
     elif type != "string" then error("chirpstack: devEui must be a string, got \(type)")
     else eui end) as $dev
  | (.data | if . == null then null elif type == "string" then base64_bytes | bytes_hex
             else error("chirpstack: data must be a base64 string, got \(type)") end) as $hex
  | (if (.object | type) == "object" then .object
     elif (.objectJSON | type) == "string" and .objectJSON != "" then
       # [...] closes the try, or it would also catch what fails later (docs/transform-functions.md#errors)
       ([.objectJSON | try fromjson catch error("chirpstack: objectJSON is not valid JSON")] | .[0])
     else null end) as $decoded
  | telemetry($decoded; $hex) as $telemetry
  | if $telemetry == null then empty else
      (if (.rxInfo | type) == "array" then .rxInfo else [] end) as $rx
      | ($rx | max_by(.rssi // -1000)) as $best
      | {
          deviceId: $dev,
          telemetry: $telemetry,
          timestamp: ((.time // .publishedAt // ($rx | map(.time | select(. != null)) | min)) | if . == null then null else utc_iso end),
          modelId: setting("model_id"),
          messageId: "chirpstack-\($dev)-\(.fCnt // 0)",
          properties: ({
            fport: .fPort,
            fcnt: (.fCnt // 0),
            rssi: $best.rssi,
            snr: ($best.snr // $best.loRaSNR),
            gateway: (($best.gatewayId // $best.gatewayID) | if . == null then null else eui end),
            gateways: (if ($rx | length) > 0 then ($rx | length) else null end)
          } | hub_properties),
          downlink: downlink($dev; .deviceInfo == null;
            try (.txInfo.modulation.lora.spreadingFactor // .txInfo.loRaModulationInfo.spreadingFactor) catch null)
        }
      | with_entries(select(.value != null))
    end
end
