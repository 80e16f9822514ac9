# @success-status 204
# Sigfox callbacks (DATA/UPLINK, DATA/BIDIR, SERVICE/DATA ADVANCED) -> canonical messages. docs/clouds.md#sigfox
# The body is the callback's template (docs/clouds.md gives one); every variable may arrive as a string or a
# number. Answers 204 with no body (what Sigfox expects), unless a BIDIR callback's answer carries a command.
#   deviceId   device (hex) lower-cased; else the first URL segment after /api/sigfox/ (URL .../sigfox/{device})
#   telemetry  data decoded with payload_config (Sigfox custom payload syntax), else {"payload_hex": data};
#              + "location" (geopoint) from computedLocation (DATA ADVANCED), else fixedLat/fixedLng when not 0
#   timestamp  time (epoch seconds)
#   messageId  sigfox-<deviceId>-<seqNumber>: a DATA ADVANCED callback repeating an uplink gets the same id
#   properties seqNumber and the network metadata present: rssi, snr, avgSnr, station, lqi, linkQuality,
#              operatorName, countryCode, deviceTypeId, duplicate, ack, locationRadius
#   downlink   a BIDIR callback whose uplink asks for one ("ack": true) gets the device's queued IoT Central
#              command in the answer: 200 {"<device as sent>": {"downlinkData": "<8 bytes as 16 hex>"}}; with no
#              command it is answered 204 as any other callback. docs/commands.md#sigfox
# Service callbacks (STATUS, ACKNOWLEDGE, ERROR...) carry no data: acknowledged and skipped.
# Settings (app setting BRIDGE_ROUTE_SIGFOX_<NAME>, or ?<name>= on the callback URL, which wins):
#   payload_config  e.g. "temp::int:16:little-endian hum::uint:8 door::bool:7"
#   model_id        DTMI announced for the devices of this route
#   raw_payload     forward (default) | skip: a message with no payload_config to decode it

def setting($name): $query[$name] // $config[$name];
def text: if type == "number" then tostring else . end;
# [...] closes the try: jackson-jq's try also catches what fails after it (docs/transform-functions.md#errors)
def nonzero: if . == null then null else ([text | tonumber?] | .[0]) | if . == 0 then null else . end end;

if type != "object" then error("sigfox: the body must be a JSON object (the callback's body template), got \(type)")
elif has("data") | not then
  if .device != null then empty
  else error("sigfox: neither device nor data in the body: is this a Sigfox callback? (see the body template in docs/clouds.md)") end
else
  (   (.device | if type == "string" or type == "number" or type == "null" then text else error("sigfox: device must be a string, got \(type)") end)
   // (($path // "") | split("/") | .[0] | select(. != ""))
   // error("sigfox: no device id: the body has no device (put \"device\": \"{device}\" in the callback body) and the URL has no device id after /api/sigfox/")
  ) as $sent
  | ($sent | if test("^[0-9A-Fa-f]+$") then ascii_downcase else . end) as $dev
  | (.data | if type == "string" then ascii_downcase elif type == "null" then "" else error("sigfox: data must be a hex string in quotes (\"data\": \"{data}\"), got \(type)") end) as $hex
  | (if setting("payload_config") != null then $hex | sigfox_decode(setting("payload_config"))
     elif (setting("raw_payload") // "forward") == "forward" then {payload_hex: $hex}
     elif setting("raw_payload") == "skip" then null
     else error("sigfox: setting raw_payload must be forward or skip, got \(setting("raw_payload"))") end) as $telemetry
  | if $telemetry == null then empty else
      (if (.computedLocation | type) == "object" and .computedLocation.lat != null and .computedLocation.lng != null
          and (([.computedLocation.status // 1 | text | tonumber?] | .[0]) // 1) == 1
       then {lat: (.computedLocation.lat | text | tonumber), lon: (.computedLocation.lng | text | tonumber)}
       elif (.fixedLat | nonzero) != null and (.fixedLng | nonzero) != null
       then {lat: (.fixedLat | nonzero), lon: (.fixedLng | nonzero)}
       else null end) as $loc
      | {
          deviceId: $dev,
          telemetry: (if $loc != null and ($telemetry | has("location") | not) then $telemetry + {location: $loc} else $telemetry end),
          timestamp: (.time | if . == null then null else utc_seconds end),
          modelId: setting("model_id"),
          messageId: (if .seqNumber != null then "sigfox-\($dev)-\(.seqNumber | text)" else null end),
          properties: ({
            seqNumber, rssi, snr, avgSnr, station, lqi, linkQuality, operatorName, countryCode, deviceTypeId, duplicate, ack,
            locationRadius: (if $loc != null then .computedLocation.radius else null end)
          } | with_entries(select(.value | type != "object" and type != "array")) | hub_properties),
          downlink: (if (.ack | tostring) == "true" then {answer: {($sent): {downlinkData: "{{hex}}"}}, exactBytes: 8} else null end)
        }
      | with_entries(select(.value != null and .value != {}))
    end
end
