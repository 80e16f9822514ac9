# Actility ThingPark (Enterprise and Wireless) HTTP application server -> canonical messages. docs/clouds.md#thingpark
# Only DevEUI_uplink is forwarded; DevEUI_downlink_Sent, DevEUI_location, DevEUI_notification... are
# acknowledged and skipped. ThingPark Wireless sends numbers as strings ("FPort": "1"): both are read.
#   deviceId   DevEUI_uplink.DevEUI lower-cased
#   telemetry  payload_hex decoded with payload_config, else forwarded raw as {"payload_hex"};
#              + "location" (geopoint) from DevLAT/DevLON/DevAlt (network geolocation), else CustomerData.loc
#   timestamp  Time (ISO 8601 with the network's UTC offset), converted to UTC
#   messageId  thingpark-<deviceId>-<FCntUp>;  properties: fport, fcnt, rssi, snr, gateway (best Lrrid), gateways
# The Token query parameter is not verified: protect the route with its function key.
# Settings (app setting BRIDGE_ROUTE_THINGPARK_<NAME>, or ?<name>= on the URL, which wins):
#   model_id, payload_config, raw_payload (forward | skip)

def setting($name): $query[$name] // $config[$name];
# [...] closes the try: jackson-jq's try also catches what fails after it (docs/transform-functions.md#errors)
def num: if type == "string" then ([tonumber?] | .[0]) else . end;
def geopoint($lat; $lon; $alt):
  if ($lat | num) == null or ($lon | num) == null then null
  else {lat: ($lat | num), lon: ($lon | num)} + (if ($alt | num) != null then {alt: ($alt | num)} else {} end) end;

if type != "object" then error("thingpark: the body must be a JSON object, got \(type)")
elif has("DevEUI_uplink") | not then
  if any(keys[]; startswith("DevEUI_")) then empty
  else error("thingpark: no DevEUI_uplink (nor any other ThingPark DevEUI_ message) in the body") end
elif (.DevEUI_uplink | type) != "object" then error("thingpark: DevEUI_uplink must be an object, got \(.DevEUI_uplink | type)")
else
  .DevEUI_uplink
  | (.DevEUI
     | if . == null then error("thingpark: no device id: the body has no DevEUI_uplink.DevEUI")
       elif type != "string" then error("thingpark: DevEUI_uplink.DevEUI must be a string, got \(type)")
       elif test("^[0-9A-Fa-f]+$") then ascii_downcase else . end) as $dev
  | (.payload_hex | if . == null then null elif type == "string" then ascii_downcase
                    else error("thingpark: payload_hex must be a string, got \(type)") end) as $hex
  | (if $hex == null or $hex == "" then null
     elif setting("payload_config") != null then $hex | sigfox_decode(setting("payload_config"))
     elif (setting("raw_payload") // "forward") == "forward" then {payload_hex: $hex}
     elif setting("raw_payload") == "skip" then null
     else error("thingpark: setting raw_payload must be forward or skip, got \(setting("raw_payload"))") end) as $telemetry
  | if $telemetry == null then empty else
      (geopoint(.DevLAT; .DevLON; .DevAlt)
       // (if (.CustomerData.loc | type) == "object" then geopoint(.CustomerData.loc.lat; .CustomerData.loc.lon; .CustomerData.loc.alt) else null end)) as $loc
      | (if (.Lrrs.Lrr | type) == "array" then .Lrrs.Lrr | length else null end) as $lrrs
      | {
          deviceId: $dev,
          telemetry: (if $loc != null and ($telemetry | has("location") | not) then $telemetry + {location: $loc} else $telemetry end),
          timestamp: (.Time | if . == null then null else utc_iso end),
          modelId: setting("model_id"),
          messageId: "thingpark-\($dev)-\(.FCntUp // 0 | num)",
          properties: ({
            fport: (.FPort | num),
            fcnt: (.FCntUp // 0 | num),
            rssi: (.LrrRSSI | num),
            snr: (.LrrSNR | num),
            gateway: .Lrrid,
            gateways: ((.DevLrrCnt | num) // $lrrs)
          } | hub_properties)
        }
      | with_entries(select(.value != null))
    end
end
