package dev.iotcbridge.queue;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueClientBuilder;
import com.azure.storage.queue.QueueMessageEncoding;
import com.azure.storage.queue.models.QueueMessageDecodingError;
import com.azure.storage.queue.models.QueueMessageItem;
import dev.iotcbridge.config.InvalidSettingException;
import dev.iotcbridge.config.Secret;
import dev.iotcbridge.config.Settings;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The durable-mode queue and its poison queue on one Azure Storage account (Azure or Azurite), created when missing.
 * One instance per process: its clients share one HTTP client and are safe to use from many threads.
 *
 * <p>Messages are Base64-encoded on the wire, like the Functions queue extension's default {@code messageEncoding},
 * so the local server and the Function App read each other's messages. A message in the queue that is not Base64
 * (written by some other tool) cannot be decoded: it is moved to the poison queue with that reason, instead of
 * blocking every receive.
 */
public final class QueueConnection {

    private static final Logger LOG = Logger.getLogger(QueueConnection.class.getName());

    private final QueueClient queue;
    private final QueueClient poison;

    private QueueConnection(QueueClient queue, QueueClient poison) {
        this.queue = queue;
        this.poison = poison;
    }

    /** Connects to the queues the settings name; durable mode must be on. */
    public static QueueConnection open(Settings settings) {
        if (!settings.durable()) {
            throw new InvalidSettingException("durable mode is off: set BRIDGE_QUEUE_CONNECTION and BRIDGE_QUEUE_NAME");
        }
        return open(settings.queueConnection().orElseThrow(), settings.queueName().orElseThrow(),
                settings.queuePoisonName().orElseThrow(), settings.requestBudget(), Clock.systemUTC());
    }

    /**
     * @param connectionString an Azure Storage connection string, e.g. {@code UseDevelopmentStorage=true} for Azurite
     * @param timeout          how long one queue operation may take, retries included (the intake answers within it)
     */
    public static QueueConnection open(Secret connectionString, String queueName, String poisonName, Duration timeout,
                                       Clock clock) {
        Objects.requireNonNull(connectionString, "connectionString");
        HttpClient http = new JdkHttpClientBuilder().connectionTimeout(timeout).build();
        // A few quick tries within the timeout: the intake answers a webhook, and the worker comes back anyway.
        long trySeconds = Math.max(1, timeout.toSeconds() / 2);
        RequestRetryOptions retries = new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 3,
                Duration.ofSeconds(trySeconds), Duration.ofMillis(50), Duration.ofMillis(500), null);
        QueueClient poison;
        try {
            poison = builder(connectionString, poisonName, http, retries).buildClient();
        } catch (IllegalArgumentException e) {
            // the SDK's message could quote the connection string, which holds the account key
            throw new InvalidSettingException("BRIDGE_QUEUE_CONNECTION is not an Azure Storage connection string "
                    + "(e.g. UseDevelopmentStorage=true, or DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...)");
        }
        QueueMessageCodec codec = new QueueMessageCodec();
        QueueClient queue = builder(connectionString, queueName, http, retries)
                .processMessageDecodingError(error -> poisonUndecodable(error, poison, codec, clock))
                .buildClient();
        queue.createIfNotExists();
        poison.createIfNotExists();
        return new QueueConnection(queue, poison);
    }

    public QueueClient queue() {
        return queue;
    }

    public QueueClient poison() {
        return poison;
    }

    private static QueueClientBuilder builder(Secret connectionString, String name, HttpClient http, RequestRetryOptions retries) {
        return new QueueClientBuilder()
                .connectionString(connectionString.reveal())
                .queueName(name)
                .messageEncoding(QueueMessageEncoding.BASE64)
                .httpClient(http)
                .retryOptions(retries);
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
            poison.sendMessage(codec.encodePoison(text, reason));
            error.getQueueClient().deleteMessage(raw.getMessageId(), raw.getPopReceipt());
            LOG.warning(() -> "moved undecodable queue message " + raw.getMessageId() + " to the poison queue");
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not move undecodable queue message " + raw.getMessageId()
                    + " to the poison queue; it comes back after its visibility timeout", e);
        }
    }
}
