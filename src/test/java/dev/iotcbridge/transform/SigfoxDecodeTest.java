package dev.iotcbridge.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iotcbridge.error.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SigfoxDecodeTest {


    private static String run(String hex, String definition) {
        return Jq.one("sigfox_decode(\"" + definition + "\")", "\"" + hex + "\"");
    }

    /** The vectors of waylayio/sigfox-parser test/parser.test.js, the reference implementation. */
    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource(delimiter = '|', value = {
        "1234                     | int1::uint:8 int2::uint:8                                  | {\"int1\":18,\"int2\":52}",
        "C01234                   | b1::bool:7 b2::bool:6 i1:1:uint:16                         | {\"b1\":true,\"b2\":true,\"i1\":4660}",
        "801234                   | b1::bool:7 b2::bool:6 i1:1:uint:16:little-endian           | {\"b1\":true,\"b2\":false,\"i1\":13330}",
        "80123456                 | b1::bool:7 b2::bool:6 i1:1:uint:16:little-endian i2::uint:8 | {\"b1\":true,\"b2\":false,\"i1\":13330,\"i2\":86}",
        "41424344454601234567890A | str::char:6 i1::uint:16 i2::uint:32                        | {\"str\":\"ABCDEF\",\"i1\":291,\"i2\":1164413194}",
        "171318                   | lightAmbi::uint:16 temperature:2:int:8                     | {\"lightAmbi\":5907,\"temperature\":24}",
        "171318                   | '  lightAmbi::uint:16   temperature:2:int:8 '              | {\"lightAmbi\":5907,\"temperature\":24}",
        "1E660382BA583FF426D609   | Battery::uint:8 pH::uint:16:little-endian Conductivity::float:32:little-endian DO::uint:16:little-endian Temp::uint:16:little-endian | {\"Battery\":30,\"pH\":870,\"Conductivity\":0.8465959,\"DO\":9972,\"Temp\":2518}",
        "48656c6c6f20776f726c6421 | message::char:12                                           | {\"message\":\"Hello world!\"}",
        "b1                       | b1:0:bool:7 b2:0:bool:6 b3:0:bool:5                        | {\"b1\":true,\"b2\":false,\"b3\":true}",
    })
    void matchesTheReferenceImplementation(String hex, String definition, String expected) {
        assertEquals(Jq.json(expected), Jq.json(run(hex, definition)));
    }

    @Test
    void matchesTheReferenceIntegerVectors() {
        // buffer of the reference's "test uinttypes" and "test inttypes", 32 bytes
        assertEquals(Jq.json("{\"int1\":100,\"int2\":200,\"int3\":42,\"int4\":0,\"int5\":8558,\"int6\":78187493530,\"int7\":78187493530}"),
                Jq.json(run(uintVector(), "int1::uint:8 int2:1:uint:16 int3:3:uint:16:little-endian int4:5:uint:32 "
                        + "int5:9:uint:32:little-endian int6:13:uint:48 int7:19:uint:48:little-endian")));
        assertEquals(Jq.json("{\"int1\":-100,\"int2\":-200,\"int3\":-42,\"int4\":0,\"int5\":-8558,\"int6\":-78187493531,\"int7\":-78187493530}"),
                Jq.json(run(intVector(), "int1::int:8 int2:1:int:16 int3:3:int:16:little-endian int4:5:int:32 "
                        + "int5:9:int:32:little-endian int6:13:int:48 int7:19:int:48:little-endian")));
    }

    private static String uintVector() {
        byte[] b = new byte[32];
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
        bb.put(0, (byte) 100);
        bb.order(java.nio.ByteOrder.BIG_ENDIAN).putShort(1, (short) 200);
        bb.order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort(3, (short) 42);
        bb.order(java.nio.ByteOrder.BIG_ENDIAN).putInt(5, 0);
        bb.order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(9, 8558);
        put48(b, 13, 0x0123456789AL, false);
        put48(b, 19, 0x0123456789AL, true);
        return java.util.HexFormat.of().formatHex(b);
    }

    private static String intVector() {
        byte[] b = new byte[32];
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
        bb.put(0, (byte) -100);
        bb.order(java.nio.ByteOrder.BIG_ENDIAN).putShort(1, (short) -200);
        bb.order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort(3, (short) -42);
        bb.order(java.nio.ByteOrder.BIG_ENDIAN).putInt(5, 0);
        bb.order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(9, -8558);
        put48(b, 13, -0x0123456789BL, false);
        put48(b, 19, -0x0123456789AL, true);
        return java.util.HexFormat.of().formatHex(b);
    }

    private static void put48(byte[] b, int at, long v, boolean little) {
        for (int i = 0; i < 6; i++) {
            byte x = (byte) (v >>> (8 * (5 - i)));
            b[little ? at + 5 - i : at + i] = x;
        }
    }

    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource(delimiter = '|', value = {
        // the brief's example: temp little-endian on bytes 0-1, hum byte 2, door a bit of hum's byte
        "38ff8f                   | temp::int:16:little-endian hum::uint:8 door::bool:7 | {\"temp\":-200,\"hum\":143,\"door\":true}",
        // implicit index after a multi-byte field: a bool reads the last byte used, and so does the field after it
        "0001ff                   | i::uint:16 b::bool:0 c::uint:8 d::uint:8          | {\"i\":1,\"b\":true,\"c\":1,\"d\":255}",
        // after a bool, the next field reads the same byte (the previous field was bit-addressed)
        "8102                     | alarm::bool:7 level::uint:8 next::uint:8           | {\"alarm\":true,\"level\":129,\"next\":2}",
        // nibbles: without a bit offset a 4-bit field starts at bit 7 and the next field moves on a byte
        "1234ab                   | speed::uint:8 dir::uint:4 status::uint:4            | {\"speed\":18,\"dir\":3,\"status\":10}",
        // the fix Sigfox users apply: an explicit index and a bit offset for the low nibble
        "1234ab                   | speed::uint:8 dir::uint:4 status:1:uint:4::3        | {\"speed\":18,\"dir\":3,\"status\":4}",
        // with bit offsets, consecutive bit fields share their byte
        "1234ab                   | speed::uint:8 dir::uint:4::7 status::uint:4::3 x::uint:8 | {\"speed\":18,\"dir\":3,\"status\":4,\"x\":52}",
        // a bit field crossing a byte boundary, and a negative one
        "0ff0                     | a::uint:8:big-endian:3 | {\"a\":255}",
        "f0                       | a::int:4 | {\"a\":-1}",
        "0e                       | a::int:4::3 | {\"a\":-2}",
        // 12-bit value across bytes, top bits first
        "abcd                     | a::uint:12 | {\"a\":2748}",
        "ffffffffffffffff         | a::uint:64 | {\"a\":18446744073709551615}",
        "8000000000000000         | a::int:64 | {\"a\":-9223372036854775808}",
        "41ac0000                 | t::float:32 | {\"t\":21.5}",
        "0000ac41                 | t::float:32:little-endian | {\"t\":21.5}",
        "400921fb54442d18         | t::float:64 | {\"t\":3.141592653589793}",
        "4869213f                 | s::char:3 flag::bool:0 | {\"s\":\"Hi!\",\"flag\":true}",
        "ff7f                     | a::int:8 b::int:8 | {\"a\":-1,\"b\":127}",
    })
    void appliesSigfoxImplicitIndexRules(String hex, String definition, String expected) {
        assertEquals(Jq.json(expected), Jq.json(run(hex, definition)));
    }

    @Test
    void acceptsBytesAsInputAndDefinitionsFromConfig() {
        assertEquals("{\"a\":1,\"b\":2}", Jq.one("sigfox_decode(\"a::uint:8 b::uint:8\")", "[1,2]"));
        assertEquals("{\"a\":1}", Jq.one(".data | sigfox_decode(\"a::uint:8\")", "{\"data\":\"01\"}"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        "01     | ''                          | the payload definition is empty",
        "01     | a:uint:8                    | bad field 'a:uint:8' in the payload definition: a field is name:byteIndex:type:parameter",
        "01     | a::uint                     | bad field 'a::uint' in the payload definition",
        "01     | a::word:8                   | unknown type 'word'",
        "01     | a::uint:65                  | an uint has 1 to 64 bits",
        "01     | a::uint:0                   | an uint has 1 to 64 bits",
        "01     | a::float:16                 | a float has 32 or 64 bits",
        "01     | a::bool:8                   | the bit of a bool is 0..7",
        "01     | a::uint:8:middle-endian     | the endianness is big-endian or little-endian, not 'middle-endian'",
        "01     | a::uint:12:little-endian    | little-endian needs a whole number of bytes",
        "01     | a::uint:8::9                | the bit offset is 0..7",
        "01     | a:x:uint:8                  | the byte index must be a number or empty",
        "01     | a$::uint:8                  | the name may hold letters, digits",
        "01     | a::uint:8 a::uint:8         | field a is defined twice",
        "01     | a::char:0                   | the length of a char field is at least 1 byte",
        "01     | a::uint:8 b::uint:16        | field b needs 2 bytes from byte 1, but the data has 1",
        "0      | a::uint:8                   | hex text has an odd number of digits (1)",
    })
    void rejectsBadDefinitionsAndShortData(String hex, String definition, String message) {
        BadInputException e = assertThrows(BadInputException.class, () -> run(hex, definition));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().startsWith("transform test failed on this body: sigfox_decode: "), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void aDefinitionMustBeAString() {
        BadInputException e = assertThrows(BadInputException.class, () -> Jq.one("sigfox_decode(null)", "\"01\""));
        assertTrue(e.getMessage().contains("sigfox_decode: the payload definition must be a string"), e.getMessage());
    }
}
