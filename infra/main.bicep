// `azd up`: one resource group with everything the bridge needs on Azure (resources.bicep). `azd down --purge`
// deletes the group and purges the soft-deleted Key Vault. What each parameter does: README "Deploy to Azure".
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds the resources\' unique names.')
param environmentName string

@minLength(1)
@description('Region of every resource; it must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the user running azd. Given a role only when the deployment itself must write the group key (iotTarget newIotHub).')
param principalId string = ''

@allowed([ 'iotCentral', 'newIotHub' ])
@description('iotCentral: forward to an existing IoT Central application (give idScope and groupKey). newIotHub: create a DPS linked to a new IoT hub; the postprovision hook creates the symmetric-key enrollment group and keeps its key in Key Vault.')
param iotTarget string = 'iotCentral'

@description('IoT Central: the application\'s ID scope (Permissions > Device connection groups). Ignored for newIotHub.')
param idScope string = ''

@secure()
@description('IoT Central: the SAS-IoT-Devices enrollment group\'s primary key. Stored in Key Vault only; the app reads it through a Key Vault reference. Ignored for newIotHub.')
param groupKey string = ''

@description('Model id (DTMI) for devices whose transform gives none; empty for none.')
param defaultModelId string = ''

@description('Durable mode: webhooks are queued (202) and the deliver function forwards them. Off: synchronous, deliver disabled.')
param durableMode bool = false

@allowed([ 512, 2048, 4096 ])
@description('Flex Consumption instance memory, MB.')
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
@description('Flex Consumption scale-out ceiling.')
param maximumInstanceCount int = 100

@allowed([ 'F1', 'B1', 'S1', 'S2' ])
@description('newIotHub: the IoT hub\'s tier (F1 is free, one per subscription, 8,000 messages a day).')
param iotHubSku string = 'S1'

@description('More app settings, e.g. { BRIDGE_ROUTE_SIGFOX_PAYLOAD_CONFIG: \'temp::int:16\' }. The deployment owns every app setting: one set by hand is gone after the next provision, so put it here (main.parameters.json).')
param extraSettings object = {}

var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module bridge 'resources.bicep' = {
  name: 'iotc-webhook-bridge'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: toLower(uniqueString(subscription().id, environmentName, location))
    principalId: principalId
    iotTarget: iotTarget
    idScope: idScope
    groupKey: groupKey
    defaultModelId: defaultModelId
    durableMode: durableMode
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    iotHubSku: iotHubSku
    extraSettings: extraSettings
  }
}

// azd keeps these in the environment; the hooks read them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = bridge.outputs.functionAppName
output FUNCTION_APP_HOST string = bridge.outputs.functionAppHost
output KEY_VAULT_NAME string = bridge.outputs.keyVaultName
output GROUP_KEY_SECRET_NAME string = bridge.outputs.groupKeySecretName
output IOT_TARGET string = iotTarget
output DPS_NAME string = bridge.outputs.dpsName
output DPS_ID_SCOPE string = bridge.outputs.dpsIdScope
output IOT_HUB_NAME string = bridge.outputs.iotHubName
output ENROLLMENT_GROUP_ID string = bridge.outputs.enrollmentGroupId
output BRIDGE_DURABLE_MODE bool = durableMode
