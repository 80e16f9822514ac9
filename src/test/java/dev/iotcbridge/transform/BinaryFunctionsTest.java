package dev.iotcbridge.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.error.BadInputException;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BinaryFunctionsTest {

    @Test
    void hexBytesDecodesEitherCase() {
        assertEquals("[1,255,171]", Jq.one("hex_bytes", "\"01Ffab\""));
        assertEquals("[]", Jq.one("hex_bytes", "\"\""));
    }

    @Test
    void base64BytesAcceptsMissingPadding() {
        assertEquals("[1,2,3,255]", Jq.one("base64_bytes", "\"AQID/w==\""));
        assertEquals("[1,2,3,255]", Jq.one("base64_bytes", "\"AQID/w\""));
        assertEquals("[]", Jq.one("base64_bytes", "\"\""));
    }

    @Test
    void bytesHexIsLowerCase() {
        assertEquals("\"00abff10\"", Jq.one("bytes_hex", "[0,171,255,16]"));
        assertEquals("\"c01234\"", Jq.one("hex_bytes | bytes_hex", "\"C01234\""));
    }

    @Test
    void bytesTextDecodesUtf8() {
        assertEquals("\"Hé!\"", Jq.one("bytes_text", "[72,195,169,33]"));
        assertEquals("\"Hello\"", Jq.one("base64_bytes | bytes_text", "\"SGVsbG8=\""));
    }

    @ParameterizedTest(name = "{0} | {1} = {2}")
    @CsvSource(delimiter = '|', value = {
        // unsigned, both orders, every width's extremes
        "'\"00\"'                 | uint_at(0; 8)           | 0",
        "'\"ff\"'                 | uint_at(0; 8)           | 255",
        "'\"1234\"'               | uint_at(0; 16)          | 4660",
        "'\"1234\"'               | uint_at(0; 16; \"le\")  | 13330",
        "'\"ffff\"'               | uint_at(0; 16)          | 65535",
        "'\"ffffff\"'             | uint_at(0; 24)          | 16777215",
        "'\"ffffffff\"'           | uint_at(0; 32)          | 4294967295",
        "'\"7fffffff\"'           | uint_at(0; 32)          | 2147483647",
        "'\"ffffffffff\"'         | uint_at(0; 40)          | 1099511627775",
        "'\"ffffffffffff\"'       | uint_at(0; 48)          | 281474976710655",
        "'\"ffffffffffffff\"'     | uint_at(0; 56)          | 72057594037927935",
        "'\"ffffffffffffffff\"'   | uint_at(0; 64)          | 18446744073709551615",
        "'\"8000000000000000\"'   | uint_at(0; 64)          | 9223372036854775808",
        "'\"0100000000000080\"'   | uint_at(0; 64; \"le\")  | 9223372036854775809",
        "'\"0020000000000001\"'   | uint_at(0; 64)          | 9007199254740993",
        "'\"aa0102\"'             | uint_at(1; 16)          | 258",
        "'[170,1,2]'              | uint_at(1; 16; \"le\")  | 513",
        // signed
        "'\"ff\"'                 | int_at(0; 8)            | -1",
        "'\"80\"'                 | int_at(0; 8)            | -128",
        "'\"7f\"'                 | int_at(0; 8)            | 127",
        "'\"ff38\"'               | int_at(0; 16)           | -200",
        "'\"38ff\"'               | int_at(0; 16; \"le\")   | -200",
        "'\"8000\"'               | int_at(0; 16)           | -32768",
        "'\"800000\"'             | int_at(0; 24)           | -8388608",
        "'\"80000000\"'           | int_at(0; 32)           | -2147483648",
        "'\"7fffffff\"'           | int_at(0; 32)           | 2147483647",
        "'\"8000000000\"'         | int_at(0; 40)           | -549755813888",
        "'\"fffffffffedcba\"'     | int_at(0; 56)           | -74566",
        "'\"8000000000000000\"'   | int_at(0; 64)           | -9223372036854775808",
        "'\"7fffffffffffffff\"'   | int_at(0; 64)           | 9223372036854775807",
        "'\"ffffffffffffffff\"'   | int_at(0; 64)           | -1",
        "'\"feffffffffffffff\"'   | int_at(0; 64; \"le\")   | -2",
        // floats
        "'\"41ac0000\"'           | float_at(0; 32)         | 21.5",
        "'\"0000ac41\"'           | float_at(0; 32; \"le\") | 21.5",
        "'\"3dcccccd\"'           | float_at(0; 32)         | 0.1",
        "'\"c0490fdb\"'           | float_at(0; 32)         | -3.1415927",
        "'\"7f7fffff\"'           | float_at(0; 32)         | 3.4028235E38",
        "'\"00000001\"'           | float_at(0; 32)         | 1.4E-45",
        "'\"400921fb54442d18\"'   | float_at(0; 64)         | 3.141592653589793",
        "'\"182d4454fb210940\"'   | float_at(0; 64; \"le\") | 3.141592653589793",
        "'\"8000000000000000\"'   | float_at(0; 64)         | -0.0",
        // bits
        "'\"80\"'                 | bit_at(0; 7)            | true",
        "'\"80\"'                 | bit_at(0; 0)            | false",
        "'\"0001\"'               | bit_at(1; 0)            | true",
        "'[1,254]'                | bit_at(1; 0)            | false",
    })
    void decodesKnownPatterns(String input, String program, String expected) {
        assertEquals(Jq.json(expected), Jq.all(program, input).get(0));
    }

    @Test
    void sixtyFourBitValuesStayExact() {
        JsonNode big = Jq.all("uint_at(0; 64)", "\"ffffffffffffffff\"").get(0);
        assertEquals("18446744073709551615", big.toString());
        assertTrue(big.isBigInteger());
        JsonNode beyond53 = Jq.all("uint_at(0; 64)", "\"0020000000000001\"").get(0);
        assertTrue(beyond53.isLong());
        assertEquals(9007199254740993L, beyond53.longValue());
    }

    @Test
    void nanAndInfinitiesComeBackAsDoubles() {
        assertTrue(Double.isNaN(Jq.all("float_at(0; 32)", "\"7fc00000\"").get(0).doubleValue()));
        assertTrue(Double.isNaN(Jq.all("float_at(0; 64)", "\"7ff8000000000000\"").get(0).doubleValue()));
        assertEquals(Double.POSITIVE_INFINITY, Jq.all("float_at(0; 32)", "\"7f800000\"").get(0).doubleValue());
        assertEquals(Double.NEGATIVE_INFINITY, Jq.all("float_at(0; 32; \"le\")", "\"000080ff\"").get(0).doubleValue());
        assertEquals(Double.POSITIVE_INFINITY, Jq.all("float_at(0; 64)", "\"7ff0000000000000\"").get(0).doubleValue());
        assertEquals(Double.NEGATIVE_INFINITY, Jq.all("float_at(0; 64)", "\"fff0000000000000\"").get(0).doubleValue());
        assertEquals("[true,true]", Jq.one("[(float_at(0; 32) | isinfinite), (float_at(4; 32) | isnan)]",
                "\"7f8000007fc00000\""));
    }

    @Test
    void argumentsWithSeveralOutputsGiveEveryCombination() {
        assertEquals("[1,2,3]", Jq.one("[uint_at(0,1,2; 8)]", "\"010203\""));
    }

    @ParameterizedTest(name = "{1} on {0}")
    @CsvSource(delimiter = '|', value = {
        "'\"123\"'        | hex_bytes              | hex_bytes: hex text has an odd number of digits (3)",
        "'\"12zz\"'       | hex_bytes              | hex_bytes: hex text has a non-hex character at position 2",
        "'12'             | hex_bytes              | hex_bytes: input must be a hex string, got number 12",
        "'\"A!==\"'       | base64_bytes           | base64_bytes: not valid base64",
        "'[1,256]'        | bytes_hex              | bytes_hex: byte 1 is not an integer 0..255: number 256",
        "'[1,-1]'         | bytes_hex              | bytes_hex: byte 1 is not an integer 0..255",
        "'[1,1.5]'        | bytes_hex              | bytes_hex: byte 1 is not an integer 0..255",
        "'[\"a\"]'        | bytes_hex              | bytes_hex: byte 0 is not an integer 0..255: string",
        // a damaged array is an error whatever part of it a reader reads (fuzz finding 19)
        "'[97,\"1\"]'     | bit_at(0; 0)           | bit_at: byte 1 is not an integer 0..255: string",
        "'[1,2,null]'     | uint_at(0; 16)         | uint_at: byte 2 is not an integer 0..255: null",
        "'[255,255]'      | bytes_text             | bytes_text: the bytes are not valid UTF-8",
        "'\"0102\"'       | uint_at(1; 16)         | uint_at: needs 2 bytes at offset 1, but the data has 2",
        "'\"0102\"'       | uint_at(5; 8)          | uint_at: needs 1 byte at offset 5, but the data has 2",
        "'\"0102\"'       | uint_at(-1; 8)         | uint_at: offset must be a whole number >= 0, got number -1",
        "'\"0102\"'       | uint_at(0.5; 8)        | uint_at: offset must be a whole number >= 0",
        "'\"0102\"'       | uint_at(0; 12)         | uint_at: unsupported bit width 12",
        "'\"0102\"'       | int_at(0; 72)          | int_at: unsupported bit width 72",
        "'\"0102\"'       | int_at(0; 16; \"LE\")  | int_at: byte order must be \"be\" or \"le\"",
        "'\"01020304\"'   | float_at(0; 16)        | float_at: unsupported bit width 16; use 32 or 64",
        "'\"010\"'        | float_at(0; 32)        | float_at: hex text has an odd number of digits (3)",
        "'{\"a\":1}'      | uint_at(0; 8)          | uint_at: input must be a byte array or a hex string, got object",
        "'\"01\"'         | bit_at(0; 8)           | bit_at: bit must be 0..7",
        "'\"01\"'         | bit_at(1; 0)           | bit_at: needs 1 byte at offset 1, but the data has 1",
    })
    void badInputIsA400NamingRouteAndFunction(String input, String program, String message) {
        BadInputException e = assertThrows(BadInputException.class, () -> Jq.all(program, input));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().startsWith("transform test failed on this body: " + message), e.getMessage());
    }

    @Test
    void anOffsetOrBitIsAWholeNumberExactlyAsTheBodyGaveIt() {
        // the body's parser keeps 1.0000000000000000001 exact; read through a double it was the bit 1 (fuzz finding 25)
        ObjectNode body = JsonNodeFactory.instance.objectNode()
                .put("d", "0102").put("b", new BigDecimal("1.0000000000000000001"));
        BadInputException e = assertThrows(BadInputException.class, () -> Jq.transform(". as $x | .d | bit_at(1; $x.b)",
                TransformLimits.defaults()).apply(body, Jq.NO_VARIABLES, 10));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("bit_at: bit must be a whole number >= 0, got number"), e.getMessage());

        body.put("b", new BigDecimal("1.000"));
        assertEquals("[true]", Jq.transform(". as $x | .d | bit_at(1; $x.b)", TransformLimits.defaults())
                .apply(body, Jq.NO_VARIABLES, 10).toString(), "1.000 is the whole number 1");
    }

    @Test
    void aTransformCanCatchADecodingError() {
        assertEquals("\"hex_bytes: hex text has an odd number of digits (1)\"",
                Jq.one("try hex_bytes catch .", "\"1\""));
    }
}
