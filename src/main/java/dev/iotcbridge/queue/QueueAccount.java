package dev.iotcbridge.queue;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.storage.queue.QueueClientBuilder;
import dev.iotcbridge.config.InvalidSettingException;
import dev.iotcbridge.config.Secret;
import dev.iotcbridge.config.Settings;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * How durable mode reaches its storage account, read from the settings the Functions host reads for the same
 * connection name ({@link Settings#QUEUE_CONNECTION}), so that the queue trigger, the poison output binding and the
 * HTTP side agree (docs/azure-protocol.md §6): a connection string in the setting itself, or the queue service's
 * URI in {@code <name>__queueServiceUri} with an Entra ID credential. As for the host, the connection string wins
 * when both are set.
 */
sealed interface QueueAccount {

    /** A builder for one queue of this account; the caller adds the encoding, HTTP client and retries. */
    QueueClientBuilder builder(String queueName);

    /** What to check when the account cannot be reached: names settings and roles, never a secret. */
    String whatToCheck();

    /** The account of the settings; durable mode must be on. */
    static QueueAccount from(Settings settings, HttpClient http) {
        Optional<Secret> connectionString = settings.queueConnection();
        if (connectionString.isPresent()) {
            if (settings.queueServiceUri().isPresent()) {
                Logger.getLogger(QueueAccount.class.getName()).warning(() -> Settings.QUEUE_CONNECTION
                        + " holds a connection string, so its __queueServiceUri/__credential/__clientId settings are "
                        + "ignored, by the Functions host as by the bridge");
            }
            return new ConnectionString(connectionString.get());
        }
        URI service = settings.queueServiceUri().orElseThrow(() -> new InvalidSettingException(
                "durable mode needs " + Settings.QUEUE_CONNECTION + " or " + Settings.QUEUE_CONNECTION + "__queueServiceUri"));
        return Identity.of(service, settings.queueCredential().isPresent(), settings.queueClientId(), http);
    }

    /** A connection string, e.g. {@code UseDevelopmentStorage=true} for Azurite. It holds the account key. */
    record ConnectionString(Secret value) implements QueueAccount {

        public ConnectionString {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public QueueClientBuilder builder(String queueName) {
            try {
                return new QueueClientBuilder().connectionString(value.reveal()).queueName(queueName);
            } catch (IllegalArgumentException e) {
                // the SDK's message could quote the connection string, which holds the account key
                throw new InvalidSettingException(Settings.QUEUE_CONNECTION + " is not an Azure Storage connection string "
                        + "(e.g. UseDevelopmentStorage=true, or DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...)");
            }
        }

        @Override
        public String whatToCheck() {
            return Settings.QUEUE_CONNECTION + " and that the storage account (or Azurite) is reachable";
        }

        @Override
        public String toString() {
            return "connection string";
        }
    }

    /**
     * The queue service's URI and an Entra ID credential. On Azure, {@code __credential=managedidentity} selects the
     * app's managed identity: the user-assigned one of {@code __clientId}, else the system-assigned one. It asks the
     * App Service identity endpoint ({@code IDENTITY_ENDPOINT}, {@code IDENTITY_HEADER}) for a token for Storage, and
     * the Storage SDK sends it as a bearer token, over https only. Without {@code __credential} (a developer machine),
     * Azure Identity's default chain is used, as the host uses the developer's identity there.
     */
    record Identity(URI service, String identity, TokenCredential credential) implements QueueAccount {

        public Identity {
            Objects.requireNonNull(service, "service");
            Objects.requireNonNull(identity, "identity");
            Objects.requireNonNull(credential, "credential");
        }

        static Identity of(URI service, boolean managedIdentity, Optional<String> clientId, HttpClient http) {
            if (managedIdentity) {
                ManagedIdentityCredentialBuilder b = new ManagedIdentityCredentialBuilder().httpClient(http);
                clientId.ifPresent(b::clientId);
                return new Identity(service, clientId.map(id -> "the managed identity with client id " + id)
                        .orElse("the app's system-assigned managed identity"), b.build());
            }
            DefaultAzureCredentialBuilder b = new DefaultAzureCredentialBuilder().httpClient(http);
            clientId.ifPresent(b::managedIdentityClientId);
            return new Identity(service, "the identity Azure Identity's default chain finds (set "
                    + Settings.QUEUE_CONNECTION + "__credential=managedidentity on Azure)", b.build());
        }

        @Override
        public QueueClientBuilder builder(String queueName) {
            return new QueueClientBuilder().endpoint(service.toString()).credential(credential).queueName(queueName);
        }

        @Override
        public String whatToCheck() {
            return Settings.QUEUE_CONNECTION + "__queueServiceUri (" + service + "), that " + identity
                    + " has the role Storage Queue Data Contributor on the account, and that the account is reachable";
        }

        @Override
        public String toString() {
            return "identity at " + service;
        }
    }
}
