package dev.iotcbridge.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The byte check agrees with the JDK's strict decoder, which the body parser used before it parsed bytes. */
class Utf8Test {

    private static boolean jdkAccepts(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "7b7d", "c3a9", "e282ac", "f09f9880", "efbbbf7b7d", "f48fbfbf", "ed9fbf", "ee8080"})
    void acceptsUtf8(String hex) {
        byte[] b = HexFormat.of().parseHex(hex);
        assertTrue(jdkAccepts(b));
        assertTrue(Utf8.isValid(b), hex);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "c0af", "c1bf", "e080af", "f0808080", // overlong forms
        "eda080", "edbfbf",                   // UTF-16 surrogates written as UTF-8
        "f4908080", "f5808080", "ff", "fe",   // past U+10FFFF, bytes UTF-8 never has
        "80", "bf", "c328", "c3", "e282", "f09f98", "e228a1"})
    void refusesWhatTheStrictDecoderRefuses(String hex) {
        byte[] b = HexFormat.of().parseHex(hex);
        assertFalse(jdkAccepts(b));
        assertFalse(Utf8.isValid(b), hex);
    }

    @Test
    void agreesWithTheJdkOnAMillionRandomShortSequences() {
        Random random = new Random(42);
        byte[] pool = {0x00, 0x41, 0x7f, (byte) 0x80, (byte) 0x8f, (byte) 0x90, (byte) 0x9f, (byte) 0xa0, (byte) 0xbf,
                (byte) 0xc0, (byte) 0xc2, (byte) 0xdf, (byte) 0xe0, (byte) 0xe1, (byte) 0xed, (byte) 0xee, (byte) 0xef,
                (byte) 0xf0, (byte) 0xf1, (byte) 0xf4, (byte) 0xf5, (byte) 0xff};
        for (int n = 0; n < 1_000_000; n++) {
            byte[] b = new byte[1 + random.nextInt(6)];
            for (int i = 0; i < b.length; i++) {
                b[i] = pool[random.nextInt(pool.length)];
            }
            assertEquals(jdkAccepts(b), Utf8.isValid(b), HexFormat.of().formatHex(b));
        }
    }

    @Test
    void aNulAmongTheFirstFourBytesWouldMakeJacksonGuessAnotherEncoding() {
        assertTrue(Utf8.guessedAsUtf8("{\"a\":1}".getBytes(StandardCharsets.UTF_8), 0));
        assertFalse(Utf8.guessedAsUtf8(new byte[] {0x00, 0x7b, 0x00, 0x7d}, 0));
        assertFalse(Utf8.guessedAsUtf8(new byte[] {0x7b, 0x7d, 0x20, 0x00}, 0));
        assertTrue(Utf8.guessedAsUtf8(new byte[] {0x7b, 0x7d, 0x20, 0x20, 0x00}, 0), "a NUL later is Jackson's to refuse");
    }
}
