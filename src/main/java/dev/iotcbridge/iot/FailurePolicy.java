package dev.iotcbridge.iot;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * What the bridge does with each IoT Hub answer to a send-event, in one place (the statuses and error codes are those
 * of docs/azure-protocol.md §3). Pure: the same reply, history and time give the same decision; the sender carries
 * it out.
 *
 * <pre>
 * hub answer                          stale link                         fresh link (re-registered in this call,
 *                                                                        or within the device's window)
 * 2xx                                 DELIVERED, ends the window         DELIVERED, ends the window
 * no answer (DNS/connect/TLS/timeout) REPROVISION (hub moved)            RETRY, then 503 (call back-off)
 * 404 + 404012 IotHubFailingOver      REPROVISION                        RETRY, then 503 (call back-off)
 * 404 (404001 DeviceNotFound, other)  REPROVISION (deleted or moved)     RETRY, then 503 (call back-off)
 * 401 (401002, 401003, other)         REPROVISION (fresh key + token)    FAIL 502 (fresh token refused: clock/key)
 * 403 + 403002 IotHubQuotaExceeded    GIVE_UP 503 until next UTC day     (same; never re-provision for quota)
 * 403 (403012 DeviceDisabled, other)  REPROVISION (DPS decides)          REFUSE 403, remembered
 * 429 (429001/429002/429005)          RETRY, honour Retry-After          RETRY
 * 5xx (500001, 500008, 503001...)     RETRY with cached credentials      RETRY
 * 400 (400004, 400006)                REJECT 400 (the message itself)    REJECT 400
 * 413 (413001)                        REJECT 413                         REJECT 413
 * anything else (3xx, 405, 409...)    FAIL 502                           FAIL 502
 * any RETRY or REPROVISION once the call has sent MAX_ATTEMPTS times: GIVE_UP 503, Retry-After as the row says
 * </pre>
 *
 * <p>A fresh link is one a full DPS registration made after a hub failure, in this call or less than the
 * re-provisioning window ago (BRIDGE_REPROVISION_WINDOW_SECONDS): registering again so soon would only ask DPS the
 * same question again, so the device stays on that link until the window ends or a send on it succeeds. This is what
 * keeps one hub outage from becoming one registration per webhook call per device (DPS's at-scale guidance: re-register
 * sparingly, back off). A device that DPS then refuses (blocked, awaiting approval) ends with DPS's 403, decided by
 * the registration.
 *
 * <p>Retry-After of a 503: for 429/5xx the longer of the hub's Retry-After and the ceiling of the next back-off
 * step, so a caller that waits it comes back after the wait the bridge itself would have made; for a fresh link the
 * hub still fails, the device's call back-off (2 s, doubling with each call the window's hub failed, at most 16 s,
 * jittered), never beyond the window's end: its next call tries the cached link at once, so a hub that comes back
 * is found within seconds, with no DPS round trip. RETRY waits within the call's budget; what the budget cannot fit is answered as the decision says.
 */
final class FailurePolicy {

    /**
     * Most sends of one message in one call, re-provisioning included. Three: the first, one after a short back-off
     * (most transient errors are over by then) and one more; beyond that a failing hub only gets more load from every
     * caller at once, and the caller's own retry (Retry-After) is the calmer way to try again. Microsoft's reconnection
     * guidance asks for exponential back-off with jitter, not for persistence within one request.
     */
    static final int MAX_ATTEMPTS = 3;

    enum Action {
        /** The hub accepted the message. */
        DELIVERED,
        /** Forget the hub, register the device with DPS again (full registration), send again. */
        REPROVISION,
        /** Transient: wait (Retry-After or back-off) and send again with the same link, within the budget. */
        RETRY,
        /** Transient but pointless to retry now: answer 503 with the decision's Retry-After. */
        GIVE_UP,
        /** The device itself is refused: 403. */
        REFUSE,
        /** The message is unacceptable: 4xx, retrying cannot help. */
        REJECT,
        /** The hub or the bridge misbehaves: 502. */
        FAIL
    }

    /**
     * @param status     what the caller is answered if this decision ends the call (RETRY: once the budget is spent)
     * @param reason     safe to show a webhook sender
     * @param retryAfter for GIVE_UP, and for RETRY the answer's Retry-After when the budget cannot fit the wait;
     *                   null otherwise
     */
    record Decision(Action action, int status, String reason, Duration retryAfter) {
    }

    /**
     * What the sender knows of this message's call when a reply comes.
     *
     * @param reprovisioned whether this call already re-registered the device (never twice in one call)
     * @param windowLeft    how long the device's re-provisioning window still runs; zero when none is open
     * @param attempts      sends of this message in this call, the one answered included (at least 1)
     * @param nextStep      the ceiling of the back-off after {@code attempts} failures: the longest wait the sender
     *                      would make before the next send
     * @param nextCall      inside a window, how long the device's callers should wait before their next call: it
     *                      grows with each call the window's hub failed (the sender's call back-off), so a fleet whose
     *                      hub is down comes back more and more slowly, yet soon after the hub does
     */
    record History(boolean reprovisioned, Duration windowLeft, int attempts, Duration nextStep, Duration nextCall) {

        History {
            Objects.requireNonNull(windowLeft, "windowLeft");
            Objects.requireNonNull(nextStep, "nextStep");
            Objects.requireNonNull(nextCall, "nextCall");
        }

        /** With callers told to come back when the window ends. */
        History(boolean reprovisioned, Duration windowLeft, int attempts, Duration nextStep) {
            this(reprovisioned, windowLeft, attempts, nextStep, windowLeft);
        }

        /** A first send, no window, nothing re-registered: the left-hand column. */
        static History first(Duration nextStep) {
            return new History(false, Duration.ZERO, 1, nextStep);
        }

        /** Whether the link came from a full registration that registering again so soon cannot improve on. */
        boolean freshLink() {
            return reprovisioned || windowLeft.compareTo(Duration.ZERO) > 0;
        }

        boolean mayRetry() {
            return attempts < MAX_ATTEMPTS;
        }
    }

    private FailurePolicy() {
    }

    static Decision decide(HubReply reply, History h, Instant now) {
        int s = reply.status();
        String what = reply.detail();
        if (s >= 200 && s < 300) {
            return new Decision(Action.DELIVERED, s, "delivered", null);
        }
        if (s == 0 || s == 404) {
            // Unreachable or unknown device: IoT Central moved it to another hub (or deleted it); DPS knows where it is.
            if (!h.freshLink()) {
                return h.mayRetry() ? new Decision(Action.REPROVISION, 503, "IoT Hub " + what, null)
                        : giveUp("IoT Hub " + what, h.nextStep(), h);
            }
            // The hub DPS just named fails too: it is down, or the assignment is not visible there yet. Only the end of
            // the window can bring a new registration; until then the fresh link is all there is, and the caller is
            // asked back after the call back-off (never later than the window's end): a hub that returns is then
            // found on the cached link within seconds, and a hub that stays down sees each device less and less often.
            return retry("IoT Hub did not take the message after re-provisioning (" + what + ")",
                    longer(shorter(h.windowLeft(), h.nextCall()), h.nextStep()), h);
        }
        if (s == 401) {
            return h.freshLink()
                    ? new Decision(Action.FAIL, 502, "IoT Hub refuses the device's fresh token (" + what
                            + "); check the bridge's clock and the group key", null)
                    : h.mayRetry() ? new Decision(Action.REPROVISION, 502, "IoT Hub " + what, null)
                    : giveUp("IoT Hub " + what, h.nextStep(), h);
        }
        if (s == 403) {
            if (reply.errorCode() == 403002) {
                // The hub's daily message quota: it resets at the next UTC day, and re-registering cannot help.
                Instant tomorrow = LocalDate.ofInstant(now, ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
                return new Decision(Action.GIVE_UP, 503, "the IoT hub's daily message quota is exhausted (" + what + ")",
                        Duration.between(now, tomorrow));
            }
            return h.freshLink()
                    ? new Decision(Action.REFUSE, 403, "IoT Hub refuses the device (" + what + "); it may be disabled in IoT Central", null)
                    : h.mayRetry() ? new Decision(Action.REPROVISION, 403, "IoT Hub " + what, null)
                    : giveUp("IoT Hub " + what, h.nextStep(), h);
        }
        if (s == 429 || s >= 500) {
            return retry("IoT Hub is busy (" + what + ")", longer(reply.retryAfter(), h.nextStep()), h);
        }
        if (s == 400 || s == 413) {
            return new Decision(Action.REJECT, s, s == 413
                    ? "IoT Hub refuses the message as too large (" + what + "); the limit is 256 KB including properties"
                    : "IoT Hub refuses the message (" + what + ")", null);
        }
        return new Decision(Action.FAIL, 502, "IoT Hub answered unexpectedly (" + what + ")", null);
    }

    /** RETRY while the call may send again, answering {@code retryAfter} if its budget ends first; else GIVE_UP. */
    private static Decision retry(String reason, Duration retryAfter, History h) {
        return h.mayRetry() ? new Decision(Action.RETRY, 503, reason, retryAfter) : giveUp(reason, retryAfter, h);
    }

    private static Decision giveUp(String reason, Duration retryAfter, History h) {
        return new Decision(Action.GIVE_UP, 503, reason + "; not sent again after " + h.attempts() + " attempts", retryAfter);
    }

    private static Duration shorter(Duration a, Duration b) {
        return a.compareTo(b) < 0 ? a : b;
    }

    private static Duration longer(Duration a, Duration b) {
        return a != null && a.compareTo(b) > 0 ? a : b;
    }
}
