package dev.iotcbridge.queue;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.Context;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueClientBuilder;
import com.azure.storage.queue.QueueMessageEncoding;
import com.azure.storage.queue.models.QueueMessageDecodingError;
import com.azure.storage.queue.models.QueueMessageItem;
import com.azure.storage.queue.models.QueueStorageException;
import dev.iotcbridge.config.InvalidSettingException;
import dev.iotcbridge.config.Secret;
import dev.iotcbridge.config.Settings;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The durable-mode queue and its poison queue on one Azure Storage account (Azure or Azurite), created when missing,
 * reached with a connection string or an Entra ID identity ({@link QueueAccount}). One instance per process: its
 * clients share one HTTP client and one credential, and are safe to use from many threads.
 *
 * <p>Messages are Base64-encoded on the wire, like the Functions queue extension's default {@code messageEncoding},
 * so the local server and the Function App read each other's messages. A message in the queue that is not Base64
 * (written by some other tool) cannot be decoded: it is moved to the poison queue with that reason, instead of
 * blocking every receive.
 */
public final class QueueConnection {

    private static final Logger LOG = Logger.getLogger(QueueConnection.class.getName());
    /**
     * Time to live of poison entries: they wait for an operator, however long that takes (a queue message otherwise
     * expires after 7 days).
     */
    static final Duration NEVER_EXPIRES = Duration.ofSeconds(-1);

    private static final Pattern AUTHENTICATION_DETAIL =
            Pattern.compile("<AuthenticationErrorDetail>([^<]{1,300})</AuthenticationErrorDetail>");

    private final QueueClient queue;
    private final QueueClient poison;

    private QueueConnection(QueueClient queue, QueueClient poison) {
        this.queue = queue;
        this.poison = poison;
    }

    /** Connects to the queues the settings name; durable mode must be on. */
    public static QueueConnection open(Settings settings) {
        if (!settings.durable()) {
            throw new InvalidSettingException("durable mode is off: set BRIDGE_QUEUE_NAME and BRIDGE_QUEUE_CONNECTION "
                    + "(or BRIDGE_QUEUE_CONNECTION__queueServiceUri)");
        }
        HttpClient http = http(settings.requestBudget());
        return open(QueueAccount.from(settings, http), http, settings.queueName().orElseThrow(),
                settings.queuePoisonName().orElseThrow(), settings.requestBudget(), Clock.systemUTC());
    }

    /**
     * @param connectionString an Azure Storage connection string, e.g. {@code UseDevelopmentStorage=true} for Azurite
     * @param timeout          how long one queue operation may take, retries included (the intake answers within it)
     */
    public static QueueConnection open(Secret connectionString, String queueName, String poisonName, Duration timeout,
                                       Clock clock) {
        return open(new QueueAccount.ConnectionString(connectionString), http(timeout), queueName, poisonName, timeout, clock);
    }

    private static HttpClient http(Duration timeout) {
        return new JdkHttpClientBuilder().connectionTimeout(timeout).build();
    }

    static QueueConnection open(QueueAccount account, HttpClient http, String queueName, String poisonName,
                                Duration timeout, Clock clock) {
        Objects.requireNonNull(account, "account");
        // A few quick tries within the timeout: the intake answers a webhook, and the worker comes back anyway.
        long trySeconds = Math.max(1, timeout.toSeconds() / 2);
        RequestRetryOptions retries = new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 3,
                Duration.ofSeconds(trySeconds), Duration.ofMillis(50), Duration.ofMillis(500), null);
        QueueClient poison = configure(account.builder(poisonName), http, retries).buildClient();
        QueueMessageCodec codec = new QueueMessageCodec();
        QueueClient queue = configure(account.builder(queueName), http, retries)
                .processMessageDecodingError(error -> poisonUndecodable(error, poison, codec, clock))
                .buildClient();
        try {
            queue.createIfNotExists();
            poison.createIfNotExists();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "cannot create the durable-mode queues", e);
            throw new IllegalStateException("durable mode cannot create its queues '" + queueName + "' and '" + poisonName
                    + "' at " + queue.getAccountName() + " (" + queue.getQueueUrl() + "): " + describe(e)
                    + "; check " + account.whatToCheck());
        }
        return new QueueConnection(queue, poison);
    }

    /** A short reason, without the SDK's multi-line advice (the account key is never part of either). */
    private static String describe(RuntimeException e) {
        if (e instanceof QueueStorageException storage) {
            // Storage says why it refused a token (audience, issuer, lifetime) in a detail that holds no secret
            Matcher detail = AUTHENTICATION_DETAIL.matcher(String.valueOf(storage.getMessage()));
            return "Storage answered " + storage.getStatusCode() + " " + storage.getErrorCode()
                    + (detail.find() ? " (" + detail.group(1).trim() + ")" : "");
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : " " + root.getMessage());
    }

    public QueueClient queue() {
        return queue;
    }

    public QueueClient poison() {
        return poison;
    }

    private static QueueClientBuilder configure(QueueClientBuilder builder, HttpClient http, RequestRetryOptions retries) {
        return builder.messageEncoding(QueueMessageEncoding.BASE64).httpClient(http).retryOptions(retries);
    }

    private static void poisonUndecodable(QueueMessageDecodingError error, QueueClient poison, QueueMessageCodec codec,
                                          Clock clock) {
        QueueMessageItem raw = error.getQueueMessageItem();
        if (raw == null) {
            return; // a peek: nothing to move
        }
        String text = new String(raw.getBody().toBytes(), StandardCharsets.UTF_8);
        PoisonReason reason = new PoisonReason(400, "the queue message is not Base64-encoded text, as the bridge and the "
                + "Functions host write it", raw.getDequeueCount(), clock.instant());
        try {
            poison.sendMessageWithResponse(codec.encodePoison(text, reason), null, NEVER_EXPIRES, null, Context.NONE);
            error.getQueueClient().deleteMessage(raw.getMessageId(), raw.getPopReceipt());
            LOG.warning(() -> "moved undecodable queue message " + raw.getMessageId() + " to the poison queue");
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not move undecodable queue message " + raw.getMessageId()
                    + " to the poison queue; it comes back after its visibility timeout", e);
        }
    }
}
