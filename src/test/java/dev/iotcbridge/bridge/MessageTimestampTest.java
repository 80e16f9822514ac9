package dev.iotcbridge.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.error.BadInputException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** A message's timestamp becomes IoT Hub's creation time: UTC, milliseconds, 'Z', whatever the cloud sent. */
class MessageTimestampTest {

    @ParameterizedTest
    @CsvSource({
            "2026-11-27T10:00:00.123Z, 2026-11-27T10:00:00.123Z",
            "2028-02-29T23:59:59.999Z, 2028-02-29T23:59:59.999Z",
            "2026-11-27T10:00:00Z, 2026-11-27T10:00:00.000Z",
            "2026-11-27T11:00:00.123456+01:00, 2026-11-27T10:00:00.123Z",
            "2026-11-27T10:00:00.1Z, 2026-11-27T10:00:00.100Z",
            "2026-12-31T23:30:00-01:00, 2027-01-01T00:30:00.000Z",
            // the first and last instants of the four-digit years, reached through an offset
            "0000-01-01T01:00:00+01:00, 0000-01-01T00:00:00.000Z",
            "9999-12-31T22:59:59.9999-01:00, 9999-12-31T23:59:59.999Z"
    })
    void everyZonedInstantBecomesUtcMilliseconds(String sent, String forwarded) {
        assertEquals(forwarded, MessageValidator.utc("message 0", sent));
    }

    /** An offset that moves the time out of the four-digit years is the sender's problem, named (fuzz finding 14). */
    @ParameterizedTest
    @ValueSource(strings = {"0000-01-01T00:00:00+01:00", "0000-01-01T00:59:59.999+01:00", "9999-12-31T23:30:00-01:00",
            "9999-12-31T23:59:59.999-00:01", "+10000-01-01T00:00:00Z", "-0001-12-31T23:00:00Z"})
    void aTimestampOutsideTheFourDigitYearsOnceInUtcIsA400NamingIt(String sent) {
        BadInputException e = assertThrows(BadInputException.class, () -> MessageValidator.utc("message 0", sent));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().startsWith("message 0: timestamp '" + sent + "'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"2027-02-29T10:00:00.000Z", "2026-13-01T10:00:00.000Z", "2026-11-27T24:00:00.000Z",
            "2026-11-27T10:60:00.000Z", "2026-11-27T10:00:00.000", "2026-11-27 10:00:00.000Z", "2026-11-2aT10:00:00.000Z",
            "yesterday"})
    void anInvalidTimestampIsA400NamingIt(String sent) {
        BadInputException e = assertThrows(BadInputException.class, () -> MessageValidator.utc("message 0", sent));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("timestamp '" + sent + "'"), e.getMessage());
    }
}
