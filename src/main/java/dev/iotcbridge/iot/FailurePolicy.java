package dev.iotcbridge.iot;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * The failure policy of DESIGN.md, mapped to IoT Hub statuses and error codes by reference §4.4, in one place.
 * Pure: the same reply, history and time give the same decision. The sender carries the decision out.
 *
 * <pre>
 * hub answer                          first time in this call          after this call re-provisioned
 * 2xx                                 DELIVERED                        DELIVERED
 * no answer (DNS/connect/TLS/timeout) REPROVISION (hub moved)          RETRY (new hub down too: transient)
 * 404 + 404012 IotHubFailingOver      REPROVISION                      RETRY
 * 404 (404001 DeviceNotFound, other)  REPROVISION (deleted or moved)   RETRY (new assignment not visible yet)
 * 401 (401002, 401003, other)         REPROVISION (fresh key + token)  FAIL 502 (fresh token refused: clock/key)
 * 403 + 403002 IotHubQuotaExceeded    GIVE_UP 503 until next UTC day   (same; never re-provision for quota)
 * 403 (403012 DeviceDisabled, other)  REPROVISION (DPS decides)        REFUSE 403
 * 429 (429001/429002/429005)          RETRY, honour Retry-After        RETRY
 * 5xx (500001, 500008, 503001...)     RETRY with cached credentials    RETRY
 * 400 (400004, 400006)                REJECT 400 (the message itself)  REJECT 400
 * 413 (413001)                        REJECT 413                       REJECT 413
 * anything else (3xx, 405, 409...)    FAIL 502                         FAIL 502
 * </pre>
 * A device that DPS then refuses (blocked, awaiting approval) ends with DPS's 403, decided by the registration.
 * RETRY waits within the call's budget; what the budget cannot fit is answered 503 with Retry-After.
 */
final class FailurePolicy {

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
     * @param retryAfter for GIVE_UP; null otherwise
     */
    record Decision(Action action, int status, String reason, Duration retryAfter) {
    }

    private FailurePolicy() {
    }

    static Decision decide(HubReply reply, boolean reprovisioned, Instant now) {
        int s = reply.status();
        String what = reply.detail();
        if (s >= 200 && s < 300) {
            return new Decision(Action.DELIVERED, s, "delivered", null);
        }
        if (s == 0 || s == 404) {
            // Unreachable or unknown device: IoT Central moved it to another hub (or deleted it); DPS knows where it is.
            return reprovisioned
                    ? new Decision(Action.RETRY, 503, "IoT Hub did not take the message after re-provisioning (" + what + ")", null)
                    : new Decision(Action.REPROVISION, 503, "IoT Hub " + what, null);
        }
        if (s == 401) {
            return reprovisioned
                    ? new Decision(Action.FAIL, 502, "IoT Hub refuses the device's fresh token (" + what
                            + "); check the bridge's clock and the group key", null)
                    : new Decision(Action.REPROVISION, 502, "IoT Hub " + what, null);
        }
        if (s == 403) {
            if (reply.errorCode() == 403002) {
                // The hub's daily message quota: it resets at the next UTC day, and re-registering cannot help.
                Instant tomorrow = LocalDate.ofInstant(now, ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
                return new Decision(Action.GIVE_UP, 503, "the IoT hub's daily message quota is exhausted (" + what + ")",
                        Duration.between(now, tomorrow));
            }
            return reprovisioned
                    ? new Decision(Action.REFUSE, 403, "IoT Hub refuses the device (" + what + "); it may be disabled in IoT Central", null)
                    : new Decision(Action.REPROVISION, 403, "IoT Hub " + what, null);
        }
        if (s == 429 || s >= 500) {
            return new Decision(Action.RETRY, 503, "IoT Hub is busy (" + what + ")", null);
        }
        if (s == 400 || s == 413) {
            return new Decision(Action.REJECT, s, s == 413
                    ? "IoT Hub refuses the message as too large (" + what + "); the limit is 256 KB including properties"
                    : "IoT Hub refuses the message (" + what + ")", null);
        }
        return new Decision(Action.FAIL, 502, "IoT Hub answered unexpectedly (" + what + ")", null);
    }
}
