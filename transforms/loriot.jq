# LORIOT application output (HTTP push / WebSocket data format) -> canonical messages. docs/clouds.md#loriot
# Uplinks are cmd "rx" and "gw" (rx with the gateway list); every other cmd is acknowledged and skipped.
#   deviceId   EUI lower-cased
#   telemetry  LORIOT decodes nothing: data (hex) decoded with payload_config, else forwarded raw as
#              {"payload_hex"}. An uplink with only encdata (LORIOT lacks the AppSKey) is refused (400).
#   timestamp  ts (epoch milliseconds, LORIOT's server time)
#   messageId  loriot-<deviceId>-<fcnt>;  properties: fport, fcnt, rssi, snr, gateway, gateways
#              (rssi/snr: the top-level values, else those of the strongest gateway of gws)
#   downlink   with app settings api_url (e.g. https://eu1.loriot.io/1/rest), api_key (an application token) and
#              app_id, the device's queued IoT Central command is sent as LORIOT's downlink message
#              {"cmd": "tx", "EUI", "port", "confirmed", "data": hex, "appid"} with Authorization: Bearer <api_key>.
#              docs/commands.md#loriot
# Settings (app setting BRIDGE_ROUTE_LORIOT_<NAME>, or ?<name>= on the URL, which wins):
#   model_id, payload_config, raw_payload (forward | skip); downlink_port, downlink_max_bytes (as for ttn);
#   api_url, api_key and app_id are read from app settings only

def setting($name): $query[$name] // $config[$name];
# a downlink problem never fails the uplink: what cannot be read gives no limit, and the network decides
def max_downlink($dr):
  if setting("downlink_max_bytes") != null then setting("downlink_max_bytes") | tonumber? // null
  else try ($dr | lorawan_max_bytes) catch null end;
def downlink($eui):
  if ($config.api_url // "") == "" or ($config.app_id // "") == "" then null
  else {
    request: {
      url: $config.api_url,
      auth: {from: {setting: "api_key"}},
      body: {cmd: "tx", EUI: $eui, port: "{{port}}", confirmed: "{{confirmed}}", data: "{{hex}}", appid: $config.app_id}
    },
    maxBytes: max_downlink(.dr),
    ports: [1, 223]
  } end;

if type != "object" then error("loriot: the body must be a JSON object, got \(type)")
elif .cmd == null then error("loriot: no cmd in the body: is this a LORIOT uplink message?")
elif .cmd != "rx" and .cmd != "gw" then empty
else
  (.EUI
   | if . == null then error("loriot: no device id: the body has no EUI")
     elif type != "string" then error("loriot: EUI must be a string, got \(type)")
     elif test("^[0-9A-Fa-f]+$") then ascii_downcase else . end) as $dev
  | if .data == null and .encdata != null then
      error("loriot: the uplink of \($dev) is encrypted (encdata): give LORIOT the device's AppSKey so that it sends data")
    else . end
  | (.data | if . == null then null elif type == "string" then ascii_downcase
             else error("loriot: data must be a hex string, got \(type)") end) as $hex
  | (if $hex == null or $hex == "" then null
     elif setting("payload_config") != null then $hex | sigfox_decode(setting("payload_config"))
     elif (setting("raw_payload") // "forward") == "forward" then {payload_hex: $hex}
     elif setting("raw_payload") == "skip" then null
     else error("loriot: setting raw_payload must be forward or skip, got \(setting("raw_payload"))") end) as $telemetry
  | if $telemetry == null then empty else
      (if (.gws | type) == "array" then .gws else [] end) as $gws
      | ($gws | max_by(.rssi // -1000)) as $best
      | {
          deviceId: $dev,
          telemetry: $telemetry,
          timestamp: (.ts | if . == null then null else utc_millis end),
          modelId: setting("model_id"),
          messageId: "loriot-\($dev)-\(.fcnt // 0)",
          properties: ({
            fport: .port,
            fcnt: (.fcnt // 0),
            rssi: (.rssi // $best.rssi),
            snr: (.snr // $best.snr),
            gateway: $best.gweui,
            gateways: (if ($gws | length) > 0 then ($gws | length) else null end)
          } | hub_properties),
          downlink: downlink(.EUI)
        }
      | with_entries(select(.value != null))
    end
end
