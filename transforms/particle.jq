# Particle webhooks -> canonical messages. docs/clouds.md#particle
# Accepts the default form body (the handler turns its fields into an object), the default JSON body, and
# custom JSON / body templates.
#   deviceId   coreid ({{{PARTICLE_DEVICE_ID}}}) lower-cased; else the first URL segment after /api/particle/
#              (a template with noDefaults drops coreid: put /{{{PARTICLE_DEVICE_ID}}} in the webhook URL)
#   telemetry  with a data field (the event value, always a string from Particle): a JSON object in it is the
#              telemetry; a JSON number or boolean becomes {"<event name>": value}; other text {"<event name>": "text"};
#              without data (a custom template): the body minus Particle's own fields, as is
#   timestamp  published_at
#   messageId  particle-<deviceId>-<event_id> when the template adds "event_id": "{{{PARTICLE_EVENT_ID}}}"
#   properties event, productId, productVersion (when present)
# Settings (app setting BRIDGE_ROUTE_PARTICLE_<NAME>, or ?<name>= on the webhook URL, which wins): model_id

def setting($name): $query[$name] // $config[$name];
def particle_fields: ["event", "data", "coreid", "published_at", "event_id", "ttl", "userid", "version", "public", "productID", "fw_version"];

if type != "object" then error("particle: the body must be a JSON object or a form, got \(type)")
else
  (   (.coreid | if type == "string" or type == "null" then . else error("particle: coreid must be a string, got \(type)") end)
   // (($path // "") | split("/") | .[0] | select(. != ""))
   // error("particle: no device id: the body has no coreid (a template with noDefaults drops it) and the URL has no device id after /api/particle/ (add /{{{PARTICLE_DEVICE_ID}}} to the webhook URL)")
   | if test("^[0-9A-Fa-f]+$") then ascii_downcase else . end) as $dev
  | (if has("data") then
       (.event // "data" | tostring) as $name
       | .data
       | if type == "object" then .
         elif type == "string" then
           ([try fromjson catch null] | .[0]) as $value # [...] closes the try (docs/transform-functions.md#errors)
           | if ($value | type) == "object" then $value
             elif ($value | type) == "number" or ($value | type) == "boolean" then {($name): $value}
             else {($name): .} end
         elif type == "null" then error("particle: data is null")
         else {($name): .} end
     else
       with_entries(select(.key as $k | particle_fields | index([$k]) | not))
     end) as $telemetry
  | if $telemetry == {} then error("particle: no telemetry: the body has neither data nor fields of its own (is the webhook's template empty?)") else . end
  | {
      deviceId: $dev,
      telemetry: $telemetry,
      timestamp: (.published_at | if . == null then null else utc_iso end),
      modelId: setting("model_id"),
      messageId: (if .event_id != null then "particle-\($dev)-\(.event_id)" else null end),
      properties: ({event, productId: .productID, productVersion: .version} | hub_properties)
    }
  | with_entries(select(.value != null and .value != {}))
end
