package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.iot.FailurePolicy.Action;
import dev.iotcbridge.iot.FailurePolicy.Decision;
import dev.iotcbridge.iot.FailurePolicy.History;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/**
 * One test per row of the failure policy table (FailurePolicy's javadoc): the left column is a send on a stale link,
 * the right one a send on a fresh link (re-registered in this call, or within the device's re-provisioning window),
 * and the last row is the bound on attempts.
 */
class FailurePolicyTest {

    static final Instant NOW = Instant.parse("2026-11-27T23:59:30Z");
    /** What the next back-off step's ceiling is in these tests. */
    static final Duration STEP = Duration.ofMillis(200);
    static final Duration WINDOW_LEFT = Duration.ofSeconds(42);

    private static Decision first(HubReply r) {
        return FailurePolicy.decide(r, History.first(STEP), NOW);
    }

    /** The second send of this call, after this call re-registered the device (its window just opened). */
    private static Decision afterReprovision(HubReply r) {
        return FailurePolicy.decide(r, new History(true, WINDOW_LEFT, 2, STEP), NOW);
    }

    /** The first send of a later call, inside the window an earlier call opened. */
    private static Decision insideTheWindow(HubReply r) {
        return FailurePolicy.decide(r, new History(false, WINDOW_LEFT, 1, STEP), NOW);
    }

    /** The last send the call may make. */
    private static Decision lastAttempt(HubReply r, boolean fresh) {
        return FailurePolicy.decide(r, new History(fresh, fresh ? WINDOW_LEFT : Duration.ZERO,
                FailurePolicy.MAX_ATTEMPTS, STEP), NOW);
    }

    private static HubReply status(int s, int code) {
        return new HubReply(s, code, null, null);
    }

    @Test
    void accepted() {
        assertEquals(Action.DELIVERED, first(HubReply.ACCEPTED).action());
        assertEquals(Action.DELIVERED, first(status(200, 0)).action());
        assertEquals(Action.DELIVERED, insideTheWindow(HubReply.ACCEPTED).action());
    }

    @Test
    void unreachableHubReprovisionsThenRetriesUntilTheWindowEnds() {
        for (IOException e : new IOException[] {new UnknownHostException("x"), new ConnectException("refused"),
                new SSLHandshakeException("bad cert"), new SocketTimeoutException("connect timed out")}) {
            assertEquals(Action.REPROVISION, first(HubReply.unreachable(e)).action(), e.toString());
            for (Decision again : new Decision[] {afterReprovision(HubReply.unreachable(e)), insideTheWindow(HubReply.unreachable(e))}) {
                assertEquals(Action.RETRY, again.action());
                assertEquals(503, again.status());
                assertEquals(WINDOW_LEFT, again.retryAfter(), "a retry is useful once DPS may be asked again");
            }
        }
    }

    @Test
    void failingOverHubReprovisionsThenRetriesUntilTheWindowEnds() {
        assertEquals(Action.REPROVISION, first(status(404, 404012)).action());
        assertEquals(Action.RETRY, afterReprovision(status(404, 404012)).action());
        assertEquals(Action.RETRY, insideTheWindow(status(404, 404012)).action());
    }

    @Test
    void deviceNotFoundReprovisionsThenRetriesUntilTheWindowEnds() {
        assertEquals(Action.REPROVISION, first(status(404, 404001)).action());
        assertEquals(Action.REPROVISION, first(status(404, 0)).action());
        Decision again = insideTheWindow(status(404, 404001));
        assertEquals(Action.RETRY, again.action());
        assertEquals(WINDOW_LEFT, again.retryAfter());
    }

    @Test
    void insideTheWindowCallersAreAskedBackAfterTheCallBackOffNeverBeyondTheWindow() {
        Decision soon = FailurePolicy.decide(status(0, 0), new History(true, WINDOW_LEFT, 3, STEP, Duration.ofSeconds(4)), NOW);
        assertEquals(Action.GIVE_UP, soon.action());
        assertEquals(Duration.ofSeconds(4), soon.retryAfter(), "the hub may be back before the window ends");

        Decision atTheEnd = FailurePolicy.decide(status(404, 404001),
                new History(false, Duration.ofSeconds(3), 3, STEP, Duration.ofSeconds(16)), NOW);
        assertEquals(Duration.ofSeconds(3), atTheEnd.retryAfter(), "then a registration is possible again");
    }

    @Test
    void aWindowShorterThanTheNextStepAnswersTheStep() {
        Decision d = FailurePolicy.decide(status(404, 404001), new History(true, Duration.ofMillis(50), 2, STEP), NOW);
        assertEquals(STEP, d.retryAfter());
        // this call re-registered: never a second registration in one call, even if its window already ended
        assertEquals(Action.RETRY, FailurePolicy.decide(status(404, 404001), new History(true, Duration.ZERO, 2, STEP), NOW).action());
    }

    @Test
    void unauthorizedReprovisionsOnceThenFails() {
        assertEquals(Action.REPROVISION, first(status(401, 401002)).action());
        assertEquals(Action.REPROVISION, first(status(401, 401003)).action());
        for (Decision again : new Decision[] {afterReprovision(status(401, 401003)), insideTheWindow(status(401, 401003))}) {
            assertEquals(Action.FAIL, again.action());
            assertEquals(502, again.status());
        }
    }

    @Test
    void quotaExceededGivesUpUntilTheNextUtcDayWithoutReprovisioning() {
        for (Decision d : new Decision[] {first(status(403, 403002)), afterReprovision(status(403, 403002)),
                insideTheWindow(status(403, 403002))}) {
            assertEquals(Action.GIVE_UP, d.action());
            assertEquals(503, d.status());
            assertEquals(Duration.ofSeconds(30), d.retryAfter()); // 23:59:30 -> midnight UTC
        }
    }

    @Test
    void disabledDeviceReprovisionsThenIsRefused() {
        assertEquals(Action.REPROVISION, first(status(403, 403012)).action());
        assertEquals(Action.REPROVISION, first(status(403, 0)).action());
        for (Decision again : new Decision[] {afterReprovision(status(403, 403012)), insideTheWindow(status(403, 403012))}) {
            assertEquals(Action.REFUSE, again.action());
            assertEquals(403, again.status());
        }
    }

    @Test
    void throttlingRetriesAnsweringTheLongerOfRetryAfterAndTheNextStep() {
        for (int code : new int[] {429001, 429002, 429005, 0}) {
            assertEquals(Action.RETRY, first(status(429, code)).action());
            assertEquals(Action.RETRY, afterReprovision(status(429, code)).action());
            assertEquals(Action.RETRY, insideTheWindow(status(429, code)).action());
        }
        assertEquals(STEP, first(status(429, 0)).retryAfter());
        assertEquals(Duration.ofSeconds(7), first(new HubReply(429, 429001, Duration.ofSeconds(7), null)).retryAfter());
        assertEquals(STEP, first(new HubReply(429, 429001, Duration.ofMillis(10), null)).retryAfter());
    }

    @Test
    void serverErrorsRetryWithCachedCredentials() {
        for (int[] sc : new int[][] {{500, 500001}, {500, 500008}, {503, 503001}, {503, 503005}, {502, 0}, {504, 0}}) {
            Decision d = first(status(sc[0], sc[1]));
            assertEquals(Action.RETRY, d.action(), sc[0] + "/" + sc[1]);
            assertEquals(503, d.status());
            assertEquals(STEP, d.retryAfter());
            assertEquals(Action.RETRY, insideTheWindow(status(sc[0], sc[1])).action(), "the window changes nothing for 5xx");
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
    void theLastAttemptGivesUpWhereItWouldHaveSentAgain() {
        HubReply busy = new HubReply(503, 503001, Duration.ofSeconds(2), null);
        Decision d = lastAttempt(busy, false);
        assertEquals(Action.GIVE_UP, d.action());
        assertEquals(503, d.status());
        assertEquals(Duration.ofSeconds(2), d.retryAfter(), "the hub's Retry-After, longer than the step");
        assertEquals(STEP, lastAttempt(status(500, 0), false).retryAfter(), "the next back-off step");

        // a stale link on the last attempt is not re-registered: that would be a fourth send
        for (HubReply stale : new HubReply[] {status(404, 404001), status(401, 401003), status(403, 403012),
                HubReply.unreachable(new ConnectException("refused"))}) {
            Decision last = lastAttempt(stale, false);
            assertEquals(Action.GIVE_UP, last.action(), stale.detail());
            assertEquals(STEP, last.retryAfter());
        }
        Decision fresh = lastAttempt(status(404, 404001), true);
        assertEquals(Action.GIVE_UP, fresh.action());
        assertEquals(WINDOW_LEFT, fresh.retryAfter());
        assertTrue(fresh.reason().contains("after 3 attempts"), fresh.reason());
        // what never sends again is not changed by the bound
        assertEquals(Action.REJECT, lastAttempt(status(400, 400006), false).action());
        assertEquals(Action.REFUSE, lastAttempt(status(403, 403012), true).action());
        assertEquals(Action.FAIL, lastAttempt(status(401, 401003), true).action());
    }

    @Test
    void reasonsNameTheStatusAndCodeOnly() {
        Decision d = first(status(404, 404001));
        assertEquals("IoT Hub HTTP 404, error 404001", d.reason());
        assertFalse(first(HubReply.unreachable(new ConnectException("127.0.0.1:1 secret"))).reason().contains("secret"));
    }
}
