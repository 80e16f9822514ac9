# Kerlink Wanesy Management Center push (dataUp) -> canonical messages. docs/clouds.md#kerlink-wanesy
# A body without payload and fCntUp (a status or dataDown event) is acknowledged and skipped.
#   deviceId   endDevice.devEui lower-cased
#   telemetry  payload (hex or base64 per encodingType) decoded with payload_config, else forwarded raw as
#              {"payload_hex"}; + "location" (geopoint) from endDevice.latitude/longitude
#   timestamp  recvTime (epoch milliseconds)
#   messageId  kerlink-<deviceId>-<fCntUp>;  properties: fport, fcnt, rssi, snr, gateway, gateways
# Settings (app setting BRIDGE_ROUTE_KERLINK_<NAME>, or ?<name>= on the URL, which wins):
#   model_id, payload_config, raw_payload (forward | skip)

def setting($name): $query[$name] // $config[$name];

if type != "object" then error("kerlink: the body must be a JSON object, got \(type)")
elif (.endDevice | type) != "object" then error("kerlink: no device id: the body has no endDevice.devEui")
elif .payload == null and .fCntUp == null then empty
else
  (.endDevice.devEui
   | if . == null then error("kerlink: no device id: the body has no endDevice.devEui")
     elif type != "string" then error("kerlink: endDevice.devEui must be a string, got \(type)")
     elif test("^[0-9A-Fa-f]+$") then ascii_downcase else . end) as $dev
  | (.encodingType // "HEXA" | tostring) as $enc
  | (.payload
     | if . == null or . == "" then null
       elif type != "string" then error("kerlink: payload must be a string, got \(type)")
       else . end
     | if . == null then null
       elif ($enc | ascii_upcase) == "BASE64" then base64_bytes | bytes_hex
       else hex_bytes | bytes_hex end) as $hex
  | (if $hex == null then null
     elif setting("payload_config") != null then $hex | sigfox_decode(setting("payload_config"))
     elif (setting("raw_payload") // "forward") == "forward" then {payload_hex: $hex}
     elif setting("raw_payload") == "skip" then null
     else error("kerlink: setting raw_payload must be forward or skip, got \(setting("raw_payload"))") end) as $telemetry
  | if $telemetry == null then empty else
      (if (.endDevice.latitude | type) == "number" and (.endDevice.longitude | type) == "number"
       then {lat: .endDevice.latitude, lon: .endDevice.longitude} + (if (.endDevice.altitude | type) == "number" then {alt: .endDevice.altitude} else {} end)
       else null end) as $loc
      | (if (.gwInfo | type) == "array" then .gwInfo else [] end) as $gws
      | ($gws | max_by(.rssi // -1000)) as $best
      | {
          deviceId: $dev,
          telemetry: (if $loc != null and ($telemetry | has("location") | not) then $telemetry + {location: $loc} else $telemetry end),
          timestamp: (.recvTime | if . == null then null else utc_millis end),
          modelId: setting("model_id"),
          messageId: "kerlink-\($dev)-\(.fCntUp // 0)",
          properties: ({
            fport: .fPort,
            fcnt: (.fCntUp // 0),
            rssi: $best.rssi,
            snr: $best.snr,
            gateway: ($best.gwEui | if . == null then null else ascii_downcase end),
            gateways: (if ($gws | length) > 0 then ($gws | length) else null end)
          } | hub_properties)
        }
      | with_entries(select(.value != null))
    end
end
