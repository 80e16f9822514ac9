package dev.iotcbridge.iot;

/**
 * What one DPS answer means, decided in one place beside {@link FailurePolicy}: pure, so the same answer always gets
 * the same verdict, and the provisioning code only carries verdicts out. The error code is read before the HTTP
 * status, because DPS and IoT Central say the most specific thing in it (docs/azure-protocol.md §2).
 *
 * <pre>
 * DPS answer (request)                          verdict         caller is told            why
 * errorCode 400209, in any answer or status     REFUSED         403, remembered           IoT Central: device blocked or awaiting
 *                                                                                        approval (it comes as 401 + 400209, or
 *                                                                                        as status "failed" + 400209)
 * no answer (DNS, connect, TLS, timeout, cut)   TRANSIENT       retry with back-off, 503  DPS is idempotent: ask again
 * 429                                           THROTTLED       retry after Retry-After   DPS guidance: honour retry-after
 * 5xx                                           TRANSIENT       retry with back-off, 503  DPS guidance: retry 5xx
 * 401 + 401xxx (401002), or 401 with no code    KEY_REJECTED    500 naming IOTC_GROUP_KEY the token is not valid: wrong group key
 *                                                               / IOTC_ID_SCOPE           or scope (tokens are fresh; the key is
 *                                                                                        derived): the operator's setting
 * 401 + any other code                          BROKEN          502                       not a documented SAS failure: naming the
 *                                                                                        key would send the operator after a key
 *                                                                                        that may be fine
 * 403                                           REFUSED         403, remembered           DPS forbids this device
 * 404 (lookup)                                  UNKNOWN_DEVICE  (register)                DPS never saw the device
 * 404 (register)                                SCOPE_UNKNOWN   500 naming IOTC_ID_SCOPE  "the DPS instance or a resource such as
 *                                                                                        an enrollment doesn't exist": with a
 *                                                                                        group enrollment, the scope is wrong
 * 404 (poll)                                    TRANSIENT       retry with back-off       the operation is gone: register again
 * 400 + 400004                                  BAD_ID          400, remembered           DPS rejects the registration id itself
 * 200/202 status "assigned"                     ASSIGNED        (send)                    needs assignedHub and deviceId, else
 *                                                                                        BROKEN (checked by the DPS client)
 * 200/202 status "assigning" / "unassigned"     ASSIGNING       (poll after Retry-After)  register and poll only
 * 200 lookup, any status but assigned/disabled  UNKNOWN_DEVICE  (register)                only a registration decides
 * status "disabled"                             REFUSED         403, remembered           the enrollment is disabled
 * status "failed" (other codes)                 BROKEN          502, remembered           e.g. 400207 custom allocation failed,
 *                                                                                        400208 no hub: retrying now cannot help
 * any other status or answer (3xx, 409, ...)    BROKEN          502, remembered           DPS's answer is unusable
 * </pre>
 * Remembered: {@code BRIDGE_DPS_REFUSAL_BACKOFF_SECONDS} for REFUSED and BAD_ID, the failure back-off for the 5xx
 * verdicts, and DPS's Retry-After (or the failure back-off) for THROTTLED and TRANSIENT, during which calls are
 * answered 429 from memory instead of asking DPS again.
 */
final class DpsPolicy {

    /** Which DPS request answered: the same status means different things on each. */
    enum Ask {
        /** {@code POST .../registrations/{id}}: the registration status lookup. */
        LOOKUP,
        /** {@code PUT .../registrations/{id}/register}. */
        REGISTER,
        /** {@code GET .../registrations/{id}/operations/{operationId}}. */
        POLL
    }

    /** One kind for every DPS outcome, from the answer's reading up to what the caller is told. */
    enum Verdict {
        /** DPS assigned the device to a hub. */
        ASSIGNED(0),
        /** DPS is still working on it: poll the operation. */
        ASSIGNING(0),
        /** The lookup does not know the device (or will not say where it is): register it. */
        UNKNOWN_DEVICE(0),
        /** An operator blocked the device, it awaits approval, or its enrollment is disabled: 403. */
        REFUSED(403),
        /** DPS rejects the registration id: 400, the caller's data. */
        BAD_ID(400),
        /** DPS does not accept the token made from the group key: 500, the operator's setting. */
        KEY_REJECTED(500),
        /** DPS does not know the ID scope: 500, the operator's setting. */
        SCOPE_UNKNOWN(500),
        /** DPS throttles (429): ask again after its Retry-After. */
        THROTTLED(503),
        /** DPS failed or could not be reached: ask again after a back-off. */
        TRANSIENT(503),
        /** DPS answered something the bridge cannot use: 502. */
        BROKEN(502);

        /** The status the caller is answered when this verdict ends a provisioning; 0 for those that go on. */
        final int status;

        Verdict(int status) {
            this.status = status;
        }

        /** Whether asking DPS again later may succeed, so the provisioning retries within its time. */
        boolean transientFailure() {
            return this == THROTTLED || this == TRANSIENT;
        }
    }

    /** "waiting for approval by an operator or blocked by an operator" (IoT Central troubleshooting). */
    static final int BLOCKED_OR_UNAPPROVED = 400209;
    /** DPS's "invalid registration id". */
    static final int INVALID_REGISTRATION_ID = 400004;

    private DpsPolicy() {
    }

    /** An answer DPS never gave: the connection failed, timed out or was cut. */
    static Verdict unreachable() {
        return Verdict.TRANSIENT;
    }

    /**
     * @param ask       which request this answers
     * @param status    the HTTP status
     * @param errorCode DPS's errorCode from the body, the {@code x-ms-error-code} header, or the registration state's
     *                  errorCode; 0 when none
     * @param regStatus the {@code status} of a 2xx answer: the operation's (register, poll) or the registration
     *                  state's (lookup); empty when absent
     */
    static Verdict decide(Ask ask, int status, int errorCode, String regStatus) {
        if (errorCode == BLOCKED_OR_UNAPPROVED) {
            return Verdict.REFUSED; // first: whatever status carries it, an operator decided, not a key or an outage
        }
        if (status == 200 || status == 202) {
            return ask == Ask.LOOKUP ? lookupStatus(regStatus) : operationStatus(regStatus);
        }
        if (status == 429) {
            return Verdict.THROTTLED;
        }
        if (status >= 500 && status <= 599) {
            return Verdict.TRANSIENT;
        }
        return switch (status) {
            // 401002 is "invalid or expired credentials" (IoT Central troubleshooting); a 401 without a code is DPS's
            // generic "the authorization token cannot be validated". Both can only mean the group key or the scope the
            // token is made from, since the bridge mints a fresh token per request. Another code under 401 is
            // something DPS did not document as a SAS failure: BROKEN rather than a wrong diagnosis.
            case 401 -> errorCode == 0 || errorCode / 1000 == 401 ? Verdict.KEY_REJECTED : Verdict.BROKEN;
            case 403 -> Verdict.REFUSED;
            case 404 -> switch (ask) {
                case LOOKUP -> Verdict.UNKNOWN_DEVICE;
                case REGISTER -> Verdict.SCOPE_UNKNOWN;
                case POLL -> Verdict.TRANSIENT; // the operation expired or was lost: a new registration will do
            };
            case 400 -> errorCode == INVALID_REGISTRATION_ID ? Verdict.BAD_ID : Verdict.BROKEN;
            default -> Verdict.BROKEN;
        };
    }

    /** A register's or poll's operation status. */
    private static Verdict operationStatus(String s) {
        return switch (s) {
            case "assigned" -> Verdict.ASSIGNED;
            case "assigning", "unassigned" -> Verdict.ASSIGNING;
            case "disabled" -> Verdict.REFUSED;
            default -> Verdict.BROKEN; // "failed" with another code, or a status DPS does not document
        };
    }

    /**
     * A lookup's registration state status. Only "assigned" names a hub; anything else leaves the decision to a
     * registration, except "disabled", which a registration would only repeat.
     */
    private static Verdict lookupStatus(String s) {
        return switch (s) {
            case "assigned" -> Verdict.ASSIGNED;
            case "disabled" -> Verdict.REFUSED;
            default -> Verdict.UNKNOWN_DEVICE;
        };
    }
}
