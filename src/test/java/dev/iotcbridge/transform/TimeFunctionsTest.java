package dev.iotcbridge.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.error.BadInputException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TimeFunctionsTest {

    @ParameterizedTest(name = "{0} | {1}")
    @CsvSource(delimiter = '|', value = {
        // Sigfox seconds, as number or string
        "1700000000               | utc_seconds | 2023-11-14T22:13:20.000Z",
        "'\"1700000000\"'         | utc_seconds | 2023-11-14T22:13:20.000Z",
        // Notehub fractional seconds: truncated, never rounded
        "1700000000.1239          | utc_seconds | 2023-11-14T22:13:20.123Z",
        "'\"1700000000.9999\"'    | utc_seconds | 2023-11-14T22:13:20.999Z",
        "1700000000.123           | utc_seconds | 2023-11-14T22:13:20.123Z",
        "0                        | utc_seconds | 1970-01-01T00:00:00.000Z",
        "-0.0005                  | utc_seconds | 1969-12-31T23:59:59.999Z",
        "253402300799             | utc_seconds | 9999-12-31T23:59:59.000Z",
        // LORIOT / Helium milliseconds
        "1700000000123            | utc_millis  | 2023-11-14T22:13:20.123Z",
        "'\"1700000000123\"'      | utc_millis  | 2023-11-14T22:13:20.123Z",
        "1700000000123.9          | utc_millis  | 2023-11-14T22:13:20.123Z",
        "1.700000000123e12        | utc_millis  | 2023-11-14T22:13:20.123Z",
        // TTN nanoseconds, ChirpStack +00:00, ThingPark local offsets, no fraction
        "'\"2023-11-14T22:13:20.123456789Z\"'      | utc_iso | 2023-11-14T22:13:20.123Z",
        "'\"2023-11-14T22:13:20.999999999+00:00\"' | utc_iso | 2023-11-14T22:13:20.999Z",
        "'\"2023-11-14T23:13:20.5+01:00\"'         | utc_iso | 2023-11-14T22:13:20.500Z",
        "'\"2023-11-14T20:13:20-02:00\"'           | utc_iso | 2023-11-14T22:13:20.000Z",
        "'\"2023-11-15T00:13:20.12+0200\"'         | utc_iso | 2023-11-14T22:13:20.120Z",
        "'\"2023-11-14t22:13:20z\"'                | utc_iso | 2023-11-14T22:13:20.000Z",
        "'\"2024-01-01T00:30:00.000+01:00\"'       | utc_iso | 2023-12-31T23:30:00.000Z",
    })
    void formatsAsUtcMilliseconds(String input, String function, String expected) {
        assertEquals("\"" + expected + "\"", Jq.one(function, input));
    }

    @ParameterizedTest(name = "{0} | {1}")
    @CsvSource(delimiter = '|', value = {
        "'\"soon\"'                  | utc_seconds | utc_seconds: input must be a number of seconds, got string",
        "'\"\"'                      | utc_seconds | utc_seconds: input must be a number of seconds",
        "null                        | utc_millis  | utc_millis: input must be a number of milliseconds or a numeric string, got null",
        "1700000000123               | utc_seconds | utc_seconds: the time 1700000000123000 ms since 1970 is outside the years 0000..9999; is it milliseconds (utc_millis)?",
        "'\"2023-11-14T22:13:20\"'   | utc_iso     | utc_iso: '2023-11-14T22:13:20' is not an ISO-8601 date-time with an offset",
        "'\"14/11/2023\"'            | utc_iso     | utc_iso: '14/11/2023' is not an ISO-8601 date-time",
        "1700000000                  | utc_iso     | utc_iso: input must be an ISO-8601 date-time string, got number",
        // no such day: once moved to the last day of the month (a time the cloud never sent)
        "'\"1891-09-31t13:41:41+18:00\"' | utc_iso    | utc_iso: '1891-09-31t13:41:41+18:00' is not a valid date and time: Invalid date 'SEPTEMBER 31'",
        "'\"2023-02-29T10:00:00Z\"'      | utc_iso    | utc_iso: '2023-02-29T10:00:00Z' is not a valid date and time: Invalid date 'February 29' as '2023' is not a leap year",
    })
    void rejectsWhatIsNotATime(String input, String function, String message) {
        BadInputException e = assertThrows(BadInputException.class, () -> Jq.one(function, input));
        assertTrue(e.getMessage().startsWith("transform test failed on this body: " + message), e.getMessage());
    }
}
