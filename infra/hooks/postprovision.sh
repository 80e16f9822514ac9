#!/bin/sh
# azd postprovision hook. For IOT_TARGET=newIotHub: the DPS's symmetric-key enrollment group is no ARM resource, so
# it is made here with the Azure CLI's IoT extension, once; its primary key goes into the Key Vault secret the app's
# IOTC_GROUP_KEY references, and the setting is written again so that the platform fetches the new secret now
# rather than within 24 hours. The key is piped, never printed.
set -eu
[ "${IOT_TARGET:-iotCentral}" = newIotHub ] || exit 0

az extension show --name azure-iot >/dev/null 2>&1 || az extension add --name azure-iot --only-show-errors
group="${ENROLLMENT_GROUP_ID:-iotc-webhook-bridge}"
if ! az iot dps enrollment-group show -g "$AZURE_RESOURCE_GROUP" --dps-name "$DPS_NAME" --enrollment-id "$group" \
    --only-show-errors >/dev/null 2>&1; then
  # symmetric key attestation; DPS generates both keys; devices are assigned to the linked hub
  az iot dps enrollment-group create -g "$AZURE_RESOURCE_GROUP" --dps-name "$DPS_NAME" --enrollment-id "$group" \
    --attestation-type symmetrickey --provisioning-status enabled --only-show-errors >/dev/null
  echo "created enrollment group '$group' in DPS $DPS_NAME (ID scope $DPS_ID_SCOPE)"
fi
key=$(az iot dps enrollment-group show -g "$AZURE_RESOURCE_GROUP" --dps-name "$DPS_NAME" --enrollment-id "$group" \
    --show-keys --query attestation.symmetricKey.primaryKey -o tsv --only-show-errors)
# through stdin, without the newline: never on a command line, where other users' `ps` would see it
printf '%s' "$key" | az keyvault secret set --vault-name "$KEY_VAULT_NAME" --name "$GROUP_KEY_SECRET_NAME" \
    --file /dev/stdin --content-type "DPS enrollment group $group primary key" --only-show-errors >/dev/null
unset key
reference=$(az functionapp config appsettings list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
    --query "[?name=='IOTC_GROUP_KEY'].value | [0]" -o tsv)
az functionapp config appsettings set -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
    --settings "IOTC_GROUP_KEY=$reference" --only-show-errors >/dev/null
echo "the group key of '$group' is in Key Vault $KEY_VAULT_NAME as $GROUP_KEY_SECRET_NAME"
