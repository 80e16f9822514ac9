# @downlink-hosts .cloud.thethings.network .cloud.thethings.industries
# The Things Stack v3 (The Things Network, TTS Cloud) webhooks -> canonical messages. docs/clouds.md#the-things-stack
# Only uplink_message events are forwarded; join_accept, downlink_*, location_solved, service_data and
# uplink_normalized are acknowledged (2xx) and skipped.
#   deviceId   end_device_ids.dev_eui lower-cased; else end_device_ids.device_id; else the first URL segment
#              after /api/ttn/ (a webhook field filter removes end_device_ids: put {/devEUI} in the base URL)
#   telemetry  uplink_message.decoded_payload as is; without one, frm_payload decoded with payload_config, or
#              forwarded raw as {"payload_hex"}; + "location" (geopoint) from uplink_message.locations
#   timestamp  uplink_message.received_at (network server), else the top-level received_at
#   messageId  ttn-<deviceId>-<f_cnt>;  properties: fport, fcnt, rssi, snr, gateway, gateways
#   downlink   a webhook with a downlink API key (X-Downlink-Apikey, X-Downlink-Push) gets the device's queued IoT
#              Central command pushed to its downlink queue: POST <X-Downlink-Push> {"downlinks": [{"f_port",
#              "frm_payload", "priority": "NORMAL"}]} with the key as bearer token, only to the hosts above (app
#              setting downlink_hosts replaces them); at most lorawan_max_bytes of the uplink's spreading factor
#              (downlink_max_bytes overrides it). docs/commands.md#the-things-stack
# Settings (app setting BRIDGE_ROUTE_TTN_<NAME>, or ?<name>= on the webhook URL, which wins):
#   model_id        DTMI announced for the devices of this route
#   payload_config  Sigfox-syntax definition decoding frm_payload when TTN gives no decoded_payload
#   raw_payload     forward (default) | skip: an uplink with no decoded payload
#   downlink_port   the port of a command that names none (default 1); downlink_max_bytes as above

def setting($name): $query[$name] // $config[$name];
def hex_id: if test("^[0-9A-Fa-f]+$") then ascii_downcase else . end;
def string_or_null($what):
  if type == "string" or type == "null" then . else error("ttn: \($what) must be a string, got \(type)") end;
def geopoint: {lat: .latitude, lon: .longitude} + (if .altitude != null then {alt: .altitude} else {} end);
# a downlink problem never fails the uplink: what cannot be read gives no limit, and the network decides
def max_downlink($sf):
  if setting("downlink_max_bytes") != null then setting("downlink_max_bytes") | tonumber? // null
  else try ($sf | lorawan_max_bytes) catch null end;
def downlink($up):
  if ($headers["x-downlink-push"] // "") == "" then null
  else {
    request: {
      url: $headers["x-downlink-push"],
      auth: {from: {header: "x-downlink-apikey"}},
      body: {downlinks: [{f_port: "{{port}}", frm_payload: "{{base64}}", priority: "NORMAL"}]}
    },
    maxBytes: max_downlink(try $up.settings.data_rate.lora.spreading_factor catch null),
    ports: [1, 223]
  } end;
def telemetry($decoded; $hex):
  if ($decoded | type) == "object" then $decoded
  elif $hex == null or $hex == "" then null
  elif setting("payload_config") != null then $hex | sigfox_decode(setting("payload_config"))
  elif (setting("raw_payload") // "forward") == "forward" then {payload_hex: $hex}
  elif setting("raw_payload") == "skip" then null
  else error("ttn: setting raw_payload must be forward or skip, got \(setting("raw_payload"))") end;

if type != "object" then error("ttn: the body must be a JSON object (a The Things Stack ApplicationUp message), got \(type)")
elif has("uplink_message") | not then
  if [has("join_accept", "downlink_ack", "downlink_nack", "downlink_sent", "downlink_failed", "downlink_queued",
          "downlink_queue_invalidated", "location_solved", "service_data", "uplink_normalized")] | any
  then empty
  else error("ttn: no uplink_message (nor any other The Things Stack event) in the body") end
elif (.uplink_message | type) != "object" then error("ttn: uplink_message must be an object, got \(.uplink_message | type)")
elif (.end_device_ids | type) != "object" and .end_device_ids != null then
  error("ttn: end_device_ids must be an object, got \(.end_device_ids | type)")
else
  .uplink_message as $up
  | (   (.end_device_ids.dev_eui | string_or_null("end_device_ids.dev_eui"))
     // (.end_device_ids.device_id | string_or_null("end_device_ids.device_id"))
     // (($path // "") | split("/") | .[0] | select(. != ""))
     // error("ttn: no device id: the body has no end_device_ids.dev_eui or .device_id (a webhook field filter removes them) and the URL has no device id after /api/ttn/ (add {/devEUI} to the webhook's base URL)")
    | hex_id) as $dev
  | ($up.frm_payload | string_or_null("uplink_message.frm_payload") | if . == null then null else base64_bytes | bytes_hex end) as $hex
  | telemetry($up.decoded_payload; $hex) as $telemetry
  | if $telemetry == null then empty else
      (($up.locations // {}) | if type == "object" then (.["frm-payload"] // .user // ([.[]] | .[0])) else null end) as $loc
      | (if ($up.rx_metadata | type) == "array" then $up.rx_metadata else [] end) as $rx
      | ($rx | max_by(.rssi // -1000)) as $best
      | {
          deviceId: $dev,
          telemetry: (if $loc != null and ($telemetry | has("location") | not) then $telemetry + {location: ($loc | geopoint)} else $telemetry end),
          timestamp: (($up.received_at // .received_at) | if . == null then null else utc_iso end),
          modelId: setting("model_id"),
          messageId: "ttn-\($dev)-\($up.f_cnt // 0)",
          properties: ({
            fport: $up.f_port,
            fcnt: ($up.f_cnt // 0),
            rssi: $best.rssi,
            snr: $best.snr,
            gateway: $best.gateway_ids.gateway_id,
            gateways: (if ($rx | length) > 0 then ($rx | length) else null end)
          } | hub_properties),
          downlink: downlink($up)
        }
      | with_entries(select(.value != null))
    end
end
