package dev.iotcbridge.iot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Reference §4.4 error bodies, and Retry-After. */
class HubErrorCodesTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void readsTheErrorCodePrefixForm() {
        assertEquals(404001, HubErrorCodes.find("{\"Message\":\"ErrorCode:DeviceNotFound;Device sensor-001 not registered\","
                + "\"ExceptionMessage\":\"Tracking ID:abc-G:10-TimeStamp:11/27/2026 10:00:00\"}", null, json));
        assertEquals(403002, HubErrorCodes.find("{\"Message\":\"ErrorCode:IotHubQuotaExceeded;Total number of messages exceeded\"}", null, json));
    }

    @Test
    void readsTheEscapedJsonForm() {
        assertEquals(404012, HubErrorCodes.find("{\"Message\":\"{\\\"errorCode\\\":404012,\\\"trackingId\\\":\\\"t\\\","
                + "\\\"message\\\":\\\"failing over\\\",\\\"timestampUtc\\\":\\\"2026-11-27T10:00:00Z\\\"}\","
                + "\"ExceptionMessage\":\"\"}", null, json));
    }

    @Test
    void aCodeNoIntHoldsIsNoCodeNotAWrappedOne() {
        // 4294970298 is 2^32 + 3002: read as an int it became a code the hub never sent
        assertEquals(0, HubErrorCodes.find("{\"Message\":\"{\\\"errorCode\\\":4294970298}\",\"ExceptionMessage\":\"\"}", null, json));
        assertEquals(0, HubErrorCodes.find("{\"errorCode\":403002.5}", null, json));
    }

    @Test
    void readsATopLevelErrorCode() {
        assertEquals(429001, HubErrorCodes.find("{\"errorCode\":429001,\"message\":\"throttled\"}", null, json));
    }

    @Test
    void fallsBackToTheHeader() {
        assertEquals(401003, HubErrorCodes.find("not json", "IotHubUnauthorized", json));
        assertEquals(403012, HubErrorCodes.find("", "403012", json));
        assertEquals(0, HubErrorCodes.find("{\"Message\":\"ErrorCode:SomethingNew;x\"}", "AlsoUnknown", json));
        assertEquals(0, HubErrorCodes.find(null, null, json));
    }

    @Test
    void retryAfterInSecondsOrAsADate() {
        Instant now = Instant.parse("2026-11-27T10:00:00Z");
        assertEquals(Duration.ofSeconds(3), RetryAfter.parse("3", now));
        assertEquals(Duration.ofSeconds(30), RetryAfter.parse("Fri, 27 Nov 2026 10:00:30 GMT", now));
        assertEquals(RetryAfter.MAX, RetryAfter.parse("999999", now));
        assertEquals(null, RetryAfter.parse("soon", now));
        assertEquals(null, RetryAfter.parse(null, now));
    }
}
