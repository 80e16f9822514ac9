#!/bin/sh
# azd postdeploy hook: every transforms/<route>.jq is a route; print the webhook URL each cloud is given.
set -eu
echo
echo "Webhook URLs (POST; give each cloud its route's URL):"
for t in transforms/*.jq; do
  route=$(basename "$t" .jq)
  echo "  $route: https://$FUNCTION_APP_HOST/api/$route?code=<function key>"
done
echo
echo "The function key (keep it secret; it is the webhook's only credential):"
echo "  az functionapp function keys list -g $AZURE_RESOURCE_GROUP -n $AZURE_FUNCTION_APP_NAME --function-name webhook --query default -o tsv"
echo "Health: https://$FUNCTION_APP_HOST/api/health"
if [ "${BRIDGE_DURABLE_MODE:-false}" = true ]; then
  echo "Durable mode: webhooks are answered 202 and queued; the deliver function forwards them (poison queue: iotc-bridge-poison)."
fi
