// Everything the bridge needs on Azure, in one resource group (main.bicep creates it):
// - a Flex Consumption plan and a Java 21 function app, its package in a blob container of its own storage account;
// - one user-assigned identity for everything the app reaches (host storage, the deployment container, durable
//   mode's queues, Application Insights, the Key Vault reference), with only the roles that needs;
// - Log Analytics + Application Insights with local (key) authentication off;
// - a Key Vault (RBAC) holding the enrollment-group key, which the app reads as a Key Vault reference;
// - iotTarget newIotHub: an IoT hub and a DPS linked to it (the enrollment group is made by a hook: it is no ARM
//   resource). The storage account allows no shared keys: nothing in this deployment holds a storage secret.
// Names and roles are checked against the code by InfraConsistencyIT; docs/azure-protocol.md §6 has the sources.

param location string
param tags object
param resourceToken string
param principalId string
param iotTarget string
param idScope string
@secure()
param groupKey string
param defaultModelId string
param durableMode bool
param instanceMemoryMB int
param maximumInstanceCount int
param iotHubSku string
param extraSettings object

var newIotHub = iotTarget == 'newIotHub'
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}'
var groupKeySecretName = 'iotc-group-key'
var enrollmentGroupId = 'iotc-webhook-bridge'
// durable mode's queue; the Functions host and the bridge both name its poison queue '<name>-poison'
var queueName = 'iotc-bridge'
var poisonQueueName = '${queueName}-poison'
// JVM flags for the Functions Java worker, appended to its own (docs/azure-protocol.md §6): Serial GC, which the
// benchmark measured cheaper than G1 on two cores (docs/performance.md); the JVM picks it itself on one.
var javaOpts = '-XX:+UseSerialGC'

// Built-in roles (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles)
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${resourceToken}'
  location: location
  tags: tags
}

// --- storage: the host's own (AzureWebJobsStorage), the deployment package, durable mode's queues ---

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'st${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: deploymentContainerName
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = if (durableMode) {
  parent: storage
  name: 'default'
}

resource queue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = if (durableMode) {
  parent: queues
  name: queueName
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = if (durableMode) {
  parent: queues
  name: poisonQueueName
}

// --- monitoring ---

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

// --- the group key ---

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-${resourceToken}'
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled' // Flex cannot resolve Key Vault references to a network-restricted vault
  }
}

// iotCentral: the key given as a (secure) parameter. newIotHub: written by the postprovision hook from DPS.
resource groupKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!newIotHub) {
  parent: vault
  name: groupKeySecretName
  properties: {
    value: groupKey
    contentType: 'IoT Central SAS-IoT-Devices enrollment group primary key'
  }
}

// --- IoT Hub + DPS (iotTarget newIotHub) ---

resource hub 'Microsoft.Devices/IotHubs@2023-06-30' = if (newIotHub) {
  name: 'iot-${resourceToken}'
  location: location
  tags: tags
  sku: { name: iotHubSku, capacity: 1 }
  properties: {
    minTlsVersion: '1.2'
  }
}

resource dps 'Microsoft.Devices/provisioningServices@2022-12-12' = if (newIotHub) {
  name: 'provs-${resourceToken}'
  location: location
  tags: tags
  sku: { name: 'S1', capacity: 1 }
  properties: {
    allocationPolicy: 'Hashed'
    iotHubs: [
      {
        // DPS links a hub by a connection string of one of the hub's policies, read here, never written down
        connectionString: 'HostName=${hub.properties.hostName};SharedAccessKeyName=${hub.listKeys().value[0].keyName};SharedAccessKey=${hub.listKeys().value[0].primaryKey}'
        location: location
      }
    ]
  }
}

// --- the function app ---

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references are resolved with this identity, not a system-assigned one (there is none)
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'java'
        version: '21'
      }
    }
  }
}

// The Functions host's own storage and monitoring, on the identity (no keys anywhere).
var hostSettings = {
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: insights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  JAVA_OPTS: javaOpts
}

// The bridge's settings (README "Settings"). The group key is a Key Vault reference in the documented SecretUri form.
var bridgeSettings = {
  IOTC_ID_SCOPE: newIotHub ? dps.properties.idScope : idScope
  IOTC_GROUP_KEY: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${groupKeySecretName}/)'
}

// only when given: an empty IOTC_DEFAULT_MODEL_ID would be the same as none, but clearer left out
var modelSettings = {
  IOTC_DEFAULT_MODEL_ID: defaultModelId
}

// Durable mode: one connection name, BRIDGE_QUEUE_CONNECTION, for the queue trigger, the poison output and the HTTP
// side, as an identity-based connection (the <name>__queueServiceUri family the host and the bridge both read).
var durableSettings = {
  BRIDGE_QUEUE_NAME: queueName
  BRIDGE_QUEUE_CONNECTION__queueServiceUri: storage.properties.primaryEndpoints.queue
  BRIDGE_QUEUE_CONNECTION__credential: 'managedidentity'
  BRIDGE_QUEUE_CONNECTION__clientId: identity.properties.clientId
  'AzureWebJobs.deliver.Disabled': 'false'
}

// Synchronous mode: the deliver function's %BRIDGE_QUEUE_NAME% cannot resolve, so it is switched off.
var synchronousSettings = {
  'AzureWebJobs.deliver.Disabled': 'true'
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: union(extraSettings, hostSettings, bridgeSettings, empty(defaultModelId) ? {} : modelSettings, durableMode ? durableSettings : synchronousSettings)
  // the identity must hold its roles before the host starts with these settings
  dependsOn: [
    blobOwner
    queueContributor
    metricsPublisher
    secretsUser
    groupKeySecret
  ]
}

// --- roles: only what the identity needs, each on the one resource it needs it for ---

// the host's storage (keys, leases) and the deployment package
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// durable mode: the trigger reads and deletes, the poison binding and the HTTP side send, the bridge creates missing queues
resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (durableMode) {
  name: guid(storage.id, identity.id, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Application Insights with local auth off takes telemetry from identities holding this role
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// the Key Vault reference reads the group key (the vault holds nothing else)
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// newIotHub: the user running azd writes the enrollment group's key into the vault (postprovision hook)
resource deployerSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (newIotHub && !empty(principalId)) {
  name: guid(vault.id, principalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: principalId
  }
}

output functionAppName string = app.name
output functionAppHost string = app.properties.defaultHostName
output keyVaultName string = vault.name
output groupKeySecretName string = groupKeySecretName
output dpsName string = newIotHub ? dps.name : ''
output dpsIdScope string = newIotHub ? dps.properties.idScope : ''
output iotHubName string = newIotHub ? hub.name : ''
output enrollmentGroupId string = enrollmentGroupId
