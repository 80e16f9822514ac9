package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.iotcbridge.iot.FailurePolicy.Action;
import dev.iotcbridge.iot.FailurePolicy.Decision;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** One test per row of the failure policy table (FailurePolicy's javadoc, DESIGN.md, reference §4.4). */
class FailurePolicyTest {

    static final Instant NOW = Instant.parse("2026-11-27T23:59:30Z");

    private static Decision first(HubReply r) {
        return FailurePolicy.decide(r, false, NOW);
    }

    private static Decision afterReprovision(HubReply r) {
        return FailurePolicy.decide(r, true, NOW);
    }

    private static HubReply status(int s, int code) {
        return new HubReply(s, code, null, null);
    }

    @Test
    void accepted() {
        assertEquals(Action.DELIVERED, first(HubReply.ACCEPTED).action());
        assertEquals(Action.DELIVERED, first(status(200, 0)).action());
    }

    @Test
    void unreachableHubReprovisionsThenRetries() {
        for (IOException e : new IOException[] {new UnknownHostException("x"), new ConnectException("refused"),
                new SSLHandshakeException("bad cert"), new SocketTimeoutException("connect timed out")}) {
            assertEquals(Action.REPROVISION, first(HubReply.unreachable(e)).action(), e.toString());
            Decision again = afterReprovision(HubReply.unreachable(e));
            assertEquals(Action.RETRY, again.action());
            assertEquals(503, again.status());
        }
    }

    @Test
    void failingOverHubReprovisions() {
        assertEquals(Action.REPROVISION, first(status(404, 404012)).action());
        assertEquals(Action.RETRY, afterReprovision(status(404, 404012)).action());
    }

    @Test
    void deviceNotFoundReprovisions() {
        assertEquals(Action.REPROVISION, first(status(404, 404001)).action());
        assertEquals(Action.REPROVISION, first(status(404, 0)).action());
        assertEquals(Action.RETRY, afterReprovision(status(404, 404001)).action());
    }

    @Test
    void unauthorizedReprovisionsOnceThenFails() {
        assertEquals(Action.REPROVISION, first(status(401, 401002)).action());
        assertEquals(Action.REPROVISION, first(status(401, 401003)).action());
        Decision again = afterReprovision(status(401, 401003));
        assertEquals(Action.FAIL, again.action());
        assertEquals(502, again.status());
    }

    @Test
    void quotaExceededGivesUpUntilTheNextUtcDayWithoutReprovisioning() {
        for (boolean reprovisioned : new boolean[] {false, true}) {
            Decision d = FailurePolicy.decide(status(403, 403002), reprovisioned, NOW);
            assertEquals(Action.GIVE_UP, d.action());
            assertEquals(503, d.status());
            assertEquals(Duration.ofSeconds(30), d.retryAfter()); // 23:59:30 -> midnight UTC
        }
    }

    @Test
    void disabledDeviceReprovisionsThenIsRefused() {
        assertEquals(Action.REPROVISION, first(status(403, 403012)).action());
        assertEquals(Action.REPROVISION, first(status(403, 0)).action());
        Decision again = afterReprovision(status(403, 403012));
        assertEquals(Action.REFUSE, again.action());
        assertEquals(403, again.status());
    }

    @Test
    void throttlingRetries() {
        for (int code : new int[] {429001, 429002, 429005, 0}) {
            assertEquals(Action.RETRY, first(status(429, code)).action());
            assertEquals(Action.RETRY, afterReprovision(status(429, code)).action());
        }
    }

    @Test
    void serverErrorsRetryWithCachedCredentials() {
        for (int[] sc : new int[][] {{500, 500001}, {500, 500008}, {503, 503001}, {503, 503005}, {502, 0}, {504, 0}}) {
            Decision d = first(status(sc[0], sc[1]));
            assertEquals(Action.RETRY, d.action(), sc[0] + "/" + sc[1]);
            assertEquals(503, d.status());
        }
    }

    @Test
    void badMessageIsRejected() {
        Decision d = first(status(400, 400006));
        assertEquals(Action.REJECT, d.action());
        assertEquals(400, d.status());
        assertEquals(Action.REJECT, afterReprovision(status(400, 400004)).action());
    }

    @Test
    void tooLargeMessageIsRejected() {
        Decision d = first(status(413, 413001));
        assertEquals(Action.REJECT, d.action());
        assertEquals(413, d.status());
    }

    @Test
    void anythingElseIsAFault() {
        for (int s : new int[] {301, 405, 409, 412}) {
            Decision d = first(status(s, 0));
            assertEquals(Action.FAIL, d.action());
            assertEquals(502, d.status());
        }
    }

    @Test
    void reasonsNameTheStatusAndCodeOnly() {
        Decision d = first(status(404, 404001));
        assertEquals("IoT Hub HTTP 404, error 404001", d.reason());
        assertFalse(first(HubReply.unreachable(new ConnectException("127.0.0.1:1 secret"))).reason().contains("secret"));
    }
}
