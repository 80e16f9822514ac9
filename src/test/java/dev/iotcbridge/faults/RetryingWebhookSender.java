package dev.iotcbridge.faults;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A webhook sender that retries every answer other than 2xx, and every failed connection, with short exponential
 * back-off and a bounded number of attempts, as Sigfox and Particle do. Like them it does not wait for Retry-After
 * (Sigfox retries on its own schedule), which makes it the harsher client: the bridge must stay correct when
 * retried early. Sends {@code POST /api/iotc} in the reference bridge's body format with a messageId.
 *
 * <p>{@link #honouringRetryAfter()} gives the calmer client a fleet outage is rehearsed with (Particle, or a cloud's
 * own queue): it waits at least what the bridge's {@code Retry-After} asks. {@link #observing} shows every answer to
 * a scenario that checks more than the status (the Retry-After, what the message says).
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
    private final boolean honourRetryAfter;
    private final Consumer<Answer> observer;

    /**
     * One answer to one attempt.
     *
     * @param status     the HTTP status, 0 when there was no answer
     * @param retryAfter the answer's {@code Retry-After} in seconds, when it has one
     * @param body       the answer's body ("" when none)
     * @param atNanos    when it came, on {@link System#nanoTime()}
     */
    public record Answer(String deviceId, String messageId, int attempt, int status, OptionalLong retryAfter, String body,
                         long atNanos) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

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
        this.honourRetryAfter = false;
        this.observer = a -> { };
    }

    private RetryingWebhookSender(RetryingWebhookSender o, boolean honourRetryAfter, Consumer<Answer> observer) {
        this.http = o.http;
        this.endpoint = o.endpoint;
        this.functionKey = o.functionKey;
        this.maxAttempts = o.maxAttempts;
        this.firstBackoff = o.firstBackoff;
        this.maxBackoff = o.maxBackoff;
        this.requestTimeout = o.requestTimeout;
        this.witness = o.witness;
        this.honourRetryAfter = honourRetryAfter;
        this.observer = observer;
    }

    /** The same sender, waiting before each retry at least the {@code Retry-After} of the answer it retries. */
    public RetryingWebhookSender honouringRetryAfter() {
        return new RetryingWebhookSender(this, true, observer);
    }

    /** The same sender, telling {@code observer} every answer (on the sender's thread, before it waits). */
    public RetryingWebhookSender observing(Consumer<Answer> observer) {
        return new RetryingWebhookSender(this, honourRetryAfter, observer);
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
            OptionalLong retryAfter = OptionalLong.empty();
            String answerBody = "";
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                status = r.statusCode();
                answerBody = r.body() == null ? "" : r.body();
                witness.seeResponse(status, r.headers().map(), r.body());
                retryAfter = r.headers().firstValue("Retry-After").map(RetryingWebhookSender::seconds)
                        .orElse(OptionalLong.empty());
            } catch (IOException e) {
                status = 0; // no answer: refused, reset or timed out; the sender cannot know what happened
            }
            observer.accept(new Answer(deviceId, messageId, attempt, status, retryAfter, answerBody, System.nanoTime()));
            ledger.record(entry, status);
            if ((status >= 200 && status < 300) || attempt >= maxAttempts || System.nanoTime() > giveUpAtNanos) {
                return;
            }
            long backoff = Math.min(maxBackoff.toMillis(), firstBackoff.toMillis() << Math.min(attempt - 1, 16));
            if (honourRetryAfter && retryAfter.isPresent()) {
                backoff = Math.max(backoff, retryAfter.getAsLong() * 1000);
            }
            // never beyond the sender's own deadline: it would only sleep through its last chance
            long untilGiveUp = TimeUnit.NANOSECONDS.toMillis(giveUpAtNanos - System.nanoTime());
            Thread.sleep(Math.max(0, Math.min(backoff, untilGiveUp)));
        }
    }

    /** Retry-After in delta-seconds (the only form the bridge sends); anything else as absent. */
    private static OptionalLong seconds(String value) {
        try {
            return OptionalLong.of(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
