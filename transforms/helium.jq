# @downlink-hosts console.helium.com
# Helium legacy Console HTTP integration -> canonical messages. docs/clouds.md#helium
# (Helium networks run on ChirpStack today: use the chirpstack route for those.)
#   deviceId   dev_eui lower-cased; else id (the Console's device UUID)
#   telemetry  decoded.payload when a decoder function succeeded, as is; else payload (base64) decoded with
#              payload_config or forwarded raw as {"payload_hex"}
#   timestamp  reported_at: milliseconds, or seconds in the docs before 2021; a value that is neither a time
#              between 2000 and 2100 in ms nor in s (the later docs' 14-digit example) is left out
#   messageId  helium-<deviceId>-<fcnt>;  properties: fport, fcnt, rssi, snr, gateway (hotspot id), gateways
#   downlink   the device's queued IoT Central command is POSTed to the uplink's downlink_url (made device-specific
#              with the device's id when it names the whole integration) as {"payload_raw", "port", "confirmed"}, only
#              to the hosts above (app setting downlink_hosts replaces them). docs/commands.md#helium
# downlink_url embeds the integration's downlink key: the bridge requests it and never logs it.
# Settings (app setting BRIDGE_ROUTE_HELIUM_<NAME>, or ?<name>= on the URL, which wins):
#   model_id, payload_config, raw_payload (forward | skip); downlink_port, downlink_max_bytes (as for ttn)

def setting($name): $query[$name] // $config[$name];
def telemetry($decoded; $hex):
  if ($decoded | type) == "object" then $decoded
  elif $hex == null or $hex == "" then null
  elif setting("payload_config") != null then $hex | sigfox_decode(setting("payload_config"))
  elif (setting("raw_payload") // "forward") == "forward" then {payload_hex: $hex}
  elif setting("raw_payload") == "skip" then null
  else error("helium: setting raw_payload must be forward or skip, got \(setting("raw_payload"))") end;
# a downlink problem never fails the uplink: what cannot be read gives no limit, and the network decides
def max_downlink($sf):
  if setting("downlink_max_bytes") != null then setting("downlink_max_bytes") | tonumber? // null
  else try ($sf | lorawan_max_bytes) catch null end;
# https://console.helium.com/api/v1/down/{integration}/{key}[/{device}]: without the device, it reaches them all
def downlink_url:
  if (.downlink_url | type) != "string" or .downlink_url == "" then null
  elif (.downlink_url | rtrimstr("/") | split("/") | length) == 8 and (.id | type) == "string"
  then "\(.downlink_url | rtrimstr("/"))/\(.id)"
  else .downlink_url end;
# 2000-01-01 .. 2100-01-01, in milliseconds or in seconds
def reported_time:
  if type != "number" then null
  elif . >= 946684800000 and . < 4102444800000 then utc_millis
  elif . >= 946684800 and . < 4102444800 then utc_seconds
  else null end;

if type != "object" then error("helium: the body must be a JSON object, got \(type)")
else
  ((.dev_eui // .id)
   | if . == null then error("helium: no device id: the body has no dev_eui or id")
     elif type != "string" then error("helium: dev_eui must be a string, got \(type)")
     elif test("^[0-9A-Fa-f]+$") then ascii_downcase else . end) as $dev
  | (.payload | if . == null then null elif type == "string" then base64_bytes | bytes_hex
                else error("helium: payload must be a base64 string, got \(type)") end) as $hex
  | (if (.decoded | type) == "object" and .decoded.status != "error" then .decoded.payload else null end) as $decoded
  | telemetry($decoded; $hex) as $telemetry
  | if $telemetry == null then empty else
      (if (.hotspots | type) == "array" then .hotspots else [] end) as $hs
      | ($hs | max_by(.rssi // -1000)) as $best
      | {
          deviceId: $dev,
          telemetry: $telemetry,
          timestamp: (.reported_at | reported_time),
          modelId: setting("model_id"),
          messageId: "helium-\($dev)-\(.fcnt // 0)",
          properties: ({
            fport: .port,
            fcnt: (.fcnt // 0),
            rssi: $best.rssi,
            snr: $best.snr,
            gateway: $best.id,
            gateways: (if ($hs | length) > 0 then ($hs | length) else null end)
          } | hub_properties),
          downlink: (downlink_url as $url | if $url == null then null else {
            request: {url: $url, body: {payload_raw: "{{base64}}", port: "{{port}}", confirmed: "{{confirmed}}"}},
            maxBytes: max_downlink(try ($hs | map(.spreading // empty) | .[0]) catch null),
            ports: [1, 223]
          } end)
        }
      | with_entries(select(.value != null))
    end
end
