package dev.iotcbridge.faults;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A webhook sender that retries every answer other than 2xx, and every failed connection, with short exponential
 * back-off and a bounded number of attempts, as Sigfox and Particle do. Like them it does not wait for Retry-After
 * (Sigfox retries on its own schedule), which makes it the harsher client: the bridge must stay correct when
 * retried early. Sends {@code POST /api/iotc} in the reference bridge's body format with a messageId.
 */
public final class RetryingWebhookSender {

    private final HttpClient http;
    private final URI endpoint;
    private final String functionKey;
    private final int maxAttempts;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final Duration requestTimeout;
    private final SecretWitness witness;

    public RetryingWebhookSender(HttpClient http, int port, String functionKey, int maxAttempts, Duration firstBackoff,
                                 Duration maxBackoff, Duration requestTimeout, SecretWitness witness) {
        this.http = http;
        this.endpoint = URI.create("http://127.0.0.1:" + port + "/api/iotc");
        this.functionKey = functionKey;
        this.maxAttempts = maxAttempts;
        this.firstBackoff = firstBackoff;
        this.maxBackoff = maxBackoff;
        this.requestTimeout = requestTimeout;
        this.witness = witness;
    }

    /**
     * Posts one message until it is acknowledged, the attempts are used up, or {@code giveUpAtNanos} (System.nanoTime)
     * has passed, whichever comes first.
     */
    public void deliver(Ledger ledger, String deviceId, String messageId, int n, long giveUpAtNanos) throws InterruptedException {
        Ledger.Entry entry = ledger.open(deviceId, messageId);
        String body = "{\"device\": {\"deviceId\": \"" + deviceId + "\"}, \"messageId\": \"" + messageId
                + "\", \"measurements\": {\"n\": " + n + ", \"temperature\": 21.5}}";
        HttpRequest request = HttpRequest.newBuilder(endpoint)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("x-functions-key", functionKey)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        for (int attempt = 1; ; attempt++) {
            int status;
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                status = r.statusCode();
                witness.seeResponse(status, r.headers().map(), r.body());
            } catch (IOException e) {
                status = 0; // no answer: refused, reset or timed out; the sender cannot know what happened
            }
            ledger.record(entry, status);
            if ((status >= 200 && status < 300) || attempt >= maxAttempts || System.nanoTime() > giveUpAtNanos) {
                return;
            }
            long backoff = Math.min(maxBackoff.toMillis(), firstBackoff.toMillis() << Math.min(attempt - 1, 16));
            Thread.sleep(backoff);
        }
    }
}
