package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.iot.DpsPolicy.Ask;
import dev.iotcbridge.iot.DpsPolicy.Verdict;
import org.junit.jupiter.api.Test;

/** One test per row of {@link DpsPolicy}'s table, in its order. */
class DpsPolicyTest {

    private static Verdict decide(Ask ask, int status, int code, String regStatus) {
        return DpsPolicy.decide(ask, status, code, regStatus);
    }

    @Test
    void errorCode400209IsRefusedWhateverAnswerCarriesIt() {
        for (Ask ask : Ask.values()) {
            assertEquals(Verdict.REFUSED, decide(ask, 401, 400209, ""), ask + ": IoT Central's 401 + 400209");
            assertEquals(Verdict.REFUSED, decide(ask, 200, 400209, "failed"), ask + ": status failed + 400209");
            assertEquals(Verdict.REFUSED, decide(ask, 403, 400209, ""), ask.name());
            assertEquals(Verdict.REFUSED, decide(ask, 400, 400209, ""), ask + ": the code first, not the 400");
        }
        assertEquals(403, Verdict.REFUSED.status);
    }

    @Test
    void noAnswerIsTransient() {
        assertEquals(Verdict.TRANSIENT, DpsPolicy.unreachable());
        assertTrue(Verdict.TRANSIENT.transientFailure());
    }

    @Test
    void http429IsThrottled() {
        for (Ask ask : Ask.values()) {
            assertEquals(Verdict.THROTTLED, decide(ask, 429, 429001, ""), ask.name());
            assertEquals(Verdict.THROTTLED, decide(ask, 429, 0, ""), ask.name());
        }
        assertTrue(Verdict.THROTTLED.transientFailure());
    }

    @Test
    void http5xxIsTransient() {
        for (int status : new int[] {500, 502, 503, 504, 599}) {
            assertEquals(Verdict.TRANSIENT, decide(Ask.REGISTER, status, 0, ""), "HTTP " + status);
        }
        assertEquals(Verdict.TRANSIENT, decide(Ask.LOOKUP, 503, 503000, ""));
    }

    @Test
    void http401With401xxxOrNoCodeIsTheGroupKey() {
        assertEquals(Verdict.KEY_REJECTED, decide(Ask.REGISTER, 401, 401002, ""), "invalid or expired credentials");
        assertEquals(Verdict.KEY_REJECTED, decide(Ask.REGISTER, 401, 401000, ""));
        assertEquals(Verdict.KEY_REJECTED, decide(Ask.REGISTER, 401, 0, ""), "DPS's generic 'token cannot be validated'");
        assertEquals(Verdict.KEY_REJECTED, decide(Ask.LOOKUP, 401, 401002, ""));
        assertEquals(500, Verdict.KEY_REJECTED.status);
        assertFalse(Verdict.KEY_REJECTED.transientFailure());
    }

    @Test
    void http401WithAnotherCodeIsNotBlamedOnTheKey() {
        assertEquals(Verdict.BROKEN, decide(Ask.REGISTER, 401, 400301, ""));
        assertEquals(Verdict.BROKEN, decide(Ask.REGISTER, 401, 500001, ""));
    }

    @Test
    void http403IsRefused() {
        assertEquals(Verdict.REFUSED, decide(Ask.REGISTER, 403, 403000, ""));
        assertEquals(Verdict.REFUSED, decide(Ask.LOOKUP, 403, 0, ""));
    }

    @Test
    void http404OnALookupIsADeviceDpsNeverSaw() {
        assertEquals(Verdict.UNKNOWN_DEVICE, decide(Ask.LOOKUP, 404, 404201, ""));
    }

    @Test
    void http404OnARegisterIsAnUnknownIdScope() {
        assertEquals(Verdict.SCOPE_UNKNOWN, decide(Ask.REGISTER, 404, 0, ""));
        assertEquals(500, Verdict.SCOPE_UNKNOWN.status);
    }

    @Test
    void http404OnAPollIsAnOperationGoneSoTransient() {
        assertEquals(Verdict.TRANSIENT, decide(Ask.POLL, 404, 0, ""));
    }

    @Test
    void http400With400004IsABadId() {
        assertEquals(Verdict.BAD_ID, decide(Ask.REGISTER, 400, 400004, ""));
        assertEquals(400, Verdict.BAD_ID.status);
        assertEquals(Verdict.BROKEN, decide(Ask.REGISTER, 400, 400001, ""), "another 400 is DPS refusing the bridge's request");
    }

    @Test
    void statusAssignedIsAssigned() {
        assertEquals(Verdict.ASSIGNED, decide(Ask.REGISTER, 200, 0, "assigned"));
        assertEquals(Verdict.ASSIGNED, decide(Ask.POLL, 200, 0, "assigned"));
        assertEquals(Verdict.ASSIGNED, decide(Ask.LOOKUP, 200, 0, "assigned"));
    }

    @Test
    void statusAssigningOrUnassignedIsPolled() {
        assertEquals(Verdict.ASSIGNING, decide(Ask.REGISTER, 202, 0, "assigning"));
        assertEquals(Verdict.ASSIGNING, decide(Ask.POLL, 202, 0, "assigning"));
        assertEquals(Verdict.ASSIGNING, decide(Ask.POLL, 200, 0, "unassigned"));
    }

    @Test
    void aLookupThatNamesNoHubLeavesItToARegistration() {
        for (String status : new String[] {"unassigned", "assigning", "failed", "", "odd"}) {
            assertEquals(Verdict.UNKNOWN_DEVICE, decide(Ask.LOOKUP, 200, 0, status), status);
        }
        assertEquals(Verdict.UNKNOWN_DEVICE, decide(Ask.LOOKUP, 200, 400207, "failed"));
    }

    @Test
    void statusDisabledIsRefused() {
        assertEquals(Verdict.REFUSED, decide(Ask.REGISTER, 200, 0, "disabled"));
        assertEquals(Verdict.REFUSED, decide(Ask.POLL, 200, 0, "disabled"));
        assertEquals(Verdict.REFUSED, decide(Ask.LOOKUP, 200, 0, "disabled"), "a registration would only repeat it");
    }

    @Test
    void statusFailedWithAnotherCodeIsBroken() {
        assertEquals(Verdict.BROKEN, decide(Ask.REGISTER, 200, 400207, "failed"), "custom allocation failed");
        assertEquals(Verdict.BROKEN, decide(Ask.POLL, 200, 400208, "failed"), "no hub to assign");
        assertEquals(Verdict.BROKEN, decide(Ask.POLL, 200, 0, "failed"));
        assertEquals(502, Verdict.BROKEN.status);
    }

    @Test
    void anyOtherAnswerIsBroken() {
        assertEquals(Verdict.BROKEN, decide(Ask.REGISTER, 200, 0, "weird"));
        assertEquals(Verdict.BROKEN, decide(Ask.REGISTER, 200, 0, ""));
        for (int status : new int[] {204, 302, 405, 409, 412, 415}) {
            assertEquals(Verdict.BROKEN, decide(Ask.REGISTER, status, 0, ""), "HTTP " + status);
        }
    }

    @Test
    void onlyThrottledAndTransientAreRetried() {
        for (Verdict v : Verdict.values()) {
            assertEquals(v == Verdict.THROTTLED || v == Verdict.TRANSIENT, v.transientFailure(), v.name());
        }
    }
}
