# Blues Notehub general HTTP route (default body, no JSONata transform) -> canonical messages. docs/clouds.md#blues-notehub
#   deviceId   device without its "dev:" prefix, lower-cased ("dev:5c0272356877" -> "5c0272356877"): the
#              Notecard's hardware id, and IoT Central's documented id characters exclude ':'
#   telemetry  body (the note) as is; a note with only a binary payload: {"payload_hex"}; an empty note is skipped;
#              + "location" (geopoint) from best_lat/best_lon, else where_ (GPS), tri_ (triangulation), tower_
#   timestamp  received (Notehub's receive time, fractional epoch seconds); else when (the device's clock)
#   messageId  notehub-<deviceId>-<event> (the event UUID), when the body has one
#   properties file (the notefile)
# Notes of system notefiles (names starting with "_", e.g. _session.qo, _health.qo, _log.qo) are acknowledged
# and skipped, except _track.qo (GPS tracking). Select notefiles in the route's filter to send less.
# Settings (app setting BRIDGE_ROUTE_NOTEHUB_<NAME>, or ?<name>= on the route URL, which wins): model_id

def setting($name): $query[$name] // $config[$name];
def loc($p):
  if (.[$p + "_lat"] | type) == "number" and (.[$p + "_lon"] | type) == "number"
  then {lat: .[$p + "_lat"], lon: .[$p + "_lon"]} else null end;

if type != "object" then error("notehub: the body must be a JSON object, got \(type)")
elif (.file // "" | tostring | startswith("_")) and .file != "_track.qo" then empty
else
  (.device
   | if . == null then error("notehub: no device id: the body has no device (a route transform may have removed it)")
     elif type != "string" then error("notehub: device must be a string, got \(type)")
     else ltrimstr("dev:") | if test("^[0-9A-Fa-f]+$") then ascii_downcase else . end end) as $dev
  | (if .body != null and (.body | type) != "object" then error("notehub: body must be an object, got \(.body | type)") else . end) as $_
  | (if (.body | type) == "object" and .body != {} then .body
     elif (.payload | type) == "string" and .payload != "" then {payload_hex: (.payload | base64_bytes | bytes_hex)}
     else null end) as $telemetry
  | if $telemetry == null then empty else
      (loc("best") // loc("where") // loc("tri") // loc("tower")) as $loc
      | {
          deviceId: $dev,
          telemetry: (if $loc != null and ($telemetry | has("location") | not) then $telemetry + {location: $loc} else $telemetry end),
          timestamp: ((.received // .when) | if . == null then null else utc_seconds end),
          modelId: setting("model_id"),
          messageId: (if .event != null then "notehub-\($dev)-\(.event)" else null end),
          properties: (if .file != null then {file: (.file | tostring)} else null end)
        }
      | with_entries(select(.value != null))
    end
end
