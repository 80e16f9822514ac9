package dev.iotcbridge.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.error.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The encoders write what the decoders read back: every width, both orders, the extremes. */
class EncodingFunctionsTest {

    @ParameterizedTest(name = "{0} | {1} = {2}")
    @CsvSource(delimiter = '|', value = {
        "15                     | uint_bytes(8)             | [15]",
        "255                    | uint_bytes(8)             | [255]",
        "4660                   | uint_bytes(16)            | [18,52]",
        "4660                   | uint_bytes(16; \"le\")    | [52,18]",
        "16777215               | uint_bytes(24)            | [255,255,255]",
        "4294967295             | uint_bytes(32)            | [255,255,255,255]",
        "18446744073709551615   | uint_bytes(64)            | [255,255,255,255,255,255,255,255]",
        "9223372036854775809    | uint_bytes(64; \"le\")    | [1,0,0,0,0,0,0,128]",
        "-1                     | int_bytes(8)              | [255]",
        "-128                   | int_bytes(8)              | [128]",
        "-2                     | int_bytes(16; \"le\")     | [254,255]",
        "-9223372036854775808   | int_bytes(64)             | [128,0,0,0,0,0,0,0]",
        "1.5                    | float_bytes(32)           | [63,192,0,0]",
        "1.5                    | float_bytes(32; \"le\")   | [0,0,192,63]",
        "-2.25                  | float_bytes(64)           | [192,2,0,0,0,0,0,0]",
    })
    void encodes(String input, String program, String expected) {
        assertEquals(expected, Jq.one(program, input));
    }

    @ParameterizedTest(name = "{0} round trips through {1}")
    @CsvSource(delimiter = '|', value = {
        "12345            | uint_bytes(16; \"le\") | uint_at(0; 16; \"le\")",
        "4294967295       | uint_bytes(32)         | uint_at(0; 32)",
        "-30000           | int_bytes(16)          | int_at(0; 16)",
        "-8388608         | int_bytes(24; \"le\")  | int_at(0; 24; \"le\")",
        "21.5             | float_bytes(32)        | float_at(0; 32)",
        "0.1              | float_bytes(64; \"le\") | float_at(0; 64; \"le\")",
    })
    void roundTrips(String input, String encode, String decode) {
        assertEquals(Jq.json(input).asDouble(), Jq.json(Jq.one(encode + " | " + decode, input)).asDouble());
    }

    @Test
    void bytesJoinWithPlusAndBecomeHexOrBase64() {
        assertEquals("\"0f0102\"", Jq.one("(.minutes | uint_bytes(8)) + [1,2] | bytes_hex", "{\"minutes\":15}"));
        assertEquals("\"AQID/w==\"", Jq.one("bytes_base64", "[1,2,3,255]"));
        assertEquals("\"AQID\"", Jq.one("bytes_base64", "\"010203\""));
        assertEquals("[72,195,169]", Jq.one("text_bytes", "\"Hé\""));
        assertEquals("\"SGVsbG8=\"", Jq.one("text_bytes | bytes_base64", "\"Hello\""));
    }

    @Test
    void refusesWhatDoesNotFit() {
        assertRefused("uint_bytes(8)", "256", "256 does not fit 8 bits (unsigned: 0..255)");
        assertRefused("uint_bytes(8)", "-1", "does not fit 8 bits");
        assertRefused("int_bytes(8)", "128", "128 does not fit 8 bits (signed: -128..127)");
        assertRefused("uint_bytes(16)", "1.5", "input must be a whole number");
        assertRefused("uint_bytes(12)", "1", "unsupported bit width 12");
        assertRefused("float_bytes(16)", "1", "unsupported bit width 16; use 32 or 64");
        assertRefused("uint_bytes(8; \"middle\")", "1", "byte order must be \"be\" or \"le\"");
        assertRefused("uint_bytes(8)", "\"15\"", "input must be a number");
        assertRefused("bytes_base64", "[256]", "bytes_base64");
        assertRefused("text_bytes", "15", "input must be a string");
    }

    @Test
    void loraPayloadLimitsBySpreadingFactor() {
        assertEquals("51", Jq.one("lorawan_max_bytes", "12"));
        assertEquals("51", Jq.one("lorawan_max_bytes", "10"));
        assertEquals("115", Jq.one("lorawan_max_bytes", "\"SF9BW125\""));
        assertEquals("51", Jq.one("lorawan_max_bytes", "\"SF12 BW125 4/5\""));
        assertEquals("222", Jq.one("lorawan_max_bytes", "7"));
        assertRefused("lorawan_max_bytes", "6", "spreading factor must be 7..12");
        assertRefused("lorawan_max_bytes", "\"fast\"", "data rate such as");
    }

    private static void assertRefused(String program, String input, String expected) {
        BadInputException e = assertThrows(BadInputException.class, () -> Jq.one(program, input));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
