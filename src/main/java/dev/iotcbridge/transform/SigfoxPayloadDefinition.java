package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A Sigfox "custom payload config" ({@code name:byteIndex:type:args}, fields separated by white space), as typed in a
 * Sigfox device type's callback, so that a user can paste it unchanged.
 *
 * <p>Types: {@code bool:bit} (bit 7 = most significant), {@code char:length} (bytes, UTF-8),
 * {@code float:32|64[:endianness]}, {@code uint:1..64[:endianness][:bitOffset]}, {@code int:...} (two's complement);
 * endianness {@code big-endian} (default) or {@code little-endian}, possibly empty ({@code uint:4::3}).
 *
 * <p>An omitted byte index means: byte 0 for the first field; for a bool, the current byte (the last byte the previous
 * field used); for other types, the byte after the last one used, or the last byte used itself when the previous
 * field was bit-addressed (a bool, or an int/uint with a bit offset). So {@code hum::uint:8 flag::bool:0} reads the
 * flag from hum's byte. An int/uint with a bit offset b starts at bit b of its byte (7 = most significant) and
 * continues towards the least significant bit and into the following bytes; without one, a width that is not a
 * multiple of 8 starts at bit 7.
 */
final class SigfoxPayloadDefinition {

    private static final String FN = "sigfox_decode";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,4}");
    /** Definitions come from settings: a handful per process; the cap only guards against a data-driven definition. */
    private static final int CACHE_LIMIT = 256;
    private static final ConcurrentHashMap<String, SigfoxPayloadDefinition> CACHE = new ConcurrentHashMap<>();

    enum Type { BOOL, CHAR, FLOAT, UINT, INT }

    record Field(String name, int byteIndex, Type type, int length, boolean littleEndian, int bitOffset) {
        /** Whether the field addresses bits inside a byte, which keeps the implicit position on its byte. */
        boolean bitAddressed() {
            return type == Type.BOOL || bitOffset >= 0;
        }
    }

    private final List<Field> fields;

    private SigfoxPayloadDefinition(List<Field> fields) {
        this.fields = List.copyOf(fields);
    }

    List<Field> fields() {
        return fields;
    }

    static SigfoxPayloadDefinition parse(String definition) throws TransformFunctionException {
        SigfoxPayloadDefinition cached = CACHE.get(definition);
        if (cached != null) {
            return cached;
        }
        SigfoxPayloadDefinition parsed = parseUncached(definition);
        if (CACHE.size() >= CACHE_LIMIT) {
            CACHE.clear();
        }
        CACHE.put(definition, parsed);
        return parsed;
    }

    private static SigfoxPayloadDefinition parseUncached(String definition) throws TransformFunctionException {
        String trimmed = definition.strip();
        if (trimmed.isEmpty()) {
            throw new TransformFunctionException(FN, "the payload definition is empty");
        }
        List<Field> fields = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String token : trimmed.split("\\s+")) {
            Field f = field(token);
            if (!names.add(f.name())) {
                throw new TransformFunctionException(FN, "field " + f.name() + " is defined twice");
            }
            fields.add(f);
        }
        return new SigfoxPayloadDefinition(fields);
    }

    private static Field field(String token) throws TransformFunctionException {
        String[] p = token.split(":", -1);
        if (p.length < 4) {
            throw bad(token, "a field is name:byteIndex:type:parameter, e.g. temp::int:16");
        }
        String name = p[0];
        if (!NAME.matcher(name).matches()) {
            throw bad(token, "the name may hold letters, digits, '-' and '_' only");
        }
        int byteIndex = -1;
        if (!p[1].isEmpty()) {
            if (!DIGITS.matcher(p[1]).matches()) {
                throw bad(token, "the byte index must be a number or empty");
            }
            byteIndex = Integer.parseInt(p[1]);
        }
        String typeName = p[2];
        switch (typeName) {
            case "bool" -> {
                expectCount(token, p, 4, "bool takes one parameter, the bit (0..7)");
                int bit = number(token, p[3], "bit");
                if (bit > 7) {
                    throw bad(token, "the bit of a bool is 0..7 (7 = most significant)");
                }
                return new Field(name, byteIndex, Type.BOOL, 1, false, bit);
            }
            case "char" -> {
                expectCount(token, p, 4, "char takes one parameter, the length in bytes");
                int length = number(token, p[3], "length");
                if (length < 1) {
                    throw bad(token, "the length of a char field is at least 1 byte");
                }
                return new Field(name, byteIndex, Type.CHAR, length, false, -1);
            }
            case "float" -> {
                if (p.length > 5) {
                    throw bad(token, "float takes its size (32 or 64) and optionally the endianness");
                }
                int bits = number(token, p[3], "size");
                if (bits != 32 && bits != 64) {
                    throw bad(token, "a float has 32 or 64 bits");
                }
                return new Field(name, byteIndex, Type.FLOAT, bits, endianness(token, p, 4), -1);
            }
            case "uint", "int" -> {
                if (p.length > 6) {
                    throw bad(token, typeName + " takes its size in bits, optionally the endianness and a bit offset");
                }
                int bits = number(token, p[3], "size");
                if (bits < 1 || bits > 64) {
                    throw bad(token, "an " + typeName + " has 1 to 64 bits");
                }
                boolean little = endianness(token, p, 4);
                int bitOffset = -1;
                if (p.length == 6 && !p[5].isEmpty()) {
                    bitOffset = number(token, p[5], "bit offset");
                    if (bitOffset > 7) {
                        throw bad(token, "the bit offset is 0..7 (7 = most significant)");
                    }
                }
                boolean aligned = bits % 8 == 0 && (bitOffset < 0 || bitOffset == 7);
                if (little && !aligned) {
                    throw bad(token, "little-endian needs a whole number of bytes starting at a byte boundary");
                }
                return new Field(name, byteIndex, typeName.equals("uint") ? Type.UINT : Type.INT, bits, little, bitOffset);
            }
            default -> throw bad(token, "unknown type '" + typeName + "'; the types are bool, char, float, uint and int");
        }
    }

    private static void expectCount(String token, String[] p, int count, String rule) throws TransformFunctionException {
        if (p.length != count) {
            throw bad(token, rule);
        }
    }

    private static boolean endianness(String token, String[] p, int index) throws TransformFunctionException {
        if (p.length <= index || p[index].isEmpty() || p[index].equals("big-endian")) {
            return false;
        }
        if (p[index].equals("little-endian")) {
            return true;
        }
        throw bad(token, "the endianness is big-endian or little-endian, not '" + p[index] + "'");
    }

    private static int number(String token, String text, String what) throws TransformFunctionException {
        if (!DIGITS.matcher(text).matches()) {
            throw bad(token, "the " + what + " must be a number, not '" + text + "'");
        }
        return Integer.parseInt(text);
    }

    private static TransformFunctionException bad(String token, String rule) {
        return new TransformFunctionException(FN, "bad field '" + JsonText.clip(token, 60) + "' in the payload definition: " + rule);
    }

    /** Decodes the bytes into an object field name -> value, in the definition's order. */
    ObjectNode decode(ByteSource bytes) throws TransformFunctionException {
        ObjectNode out = new ObjectNode(JsonNodeFactory.instance);
        int lastByte = -1;
        Field previous = null;
        for (Field f : fields) {
            int start;
            if (f.byteIndex() >= 0) {
                start = f.byteIndex();
            } else if (previous == null) {
                start = 0;
            } else if (f.type() == Type.BOOL || previous.bitAddressed()) {
                start = lastByte;
            } else {
                start = lastByte + 1;
            }
            int span = span(f);
            if ((long) start + span > bytes.length()) {
                throw new TransformFunctionException(FN, "field " + f.name() + " needs " + span
                        + (span == 1 ? " byte" : " bytes") + " from byte " + start + ", but the data has "
                        + bytes.length());
            }
            out.set(f.name(), read(f, bytes, start));
            lastByte = start + span - 1;
            previous = f;
        }
        return out;
    }

    /** How many bytes a field touches from its start byte. */
    private static int span(Field f) {
        return switch (f.type()) {
            case BOOL -> 1;
            case CHAR -> f.length();
            case FLOAT -> f.length() / 8;
            case UINT, INT -> {
                int firstBit = f.bitOffset() < 0 ? 0 : 7 - f.bitOffset();
                yield (firstBit + f.length() + 7) / 8;
            }
        };
    }

    private static JsonNode read(Field f, ByteSource bytes, int start) throws TransformFunctionException {
        switch (f.type()) {
            case BOOL:
                return BooleanNode.valueOf((bytes.at(start) & (1 << f.bitOffset())) != 0);
            case CHAR: {
                byte[] b = new byte[f.length()];
                for (int i = 0; i < b.length; i++) {
                    b[i] = (byte) bytes.at(start + i);
                }
                // lenient like Sigfox's own decoding: a stray byte becomes U+FFFD instead of failing the message
                return TextNode.valueOf(new String(b, StandardCharsets.UTF_8));
            }
            case FLOAT:
                return BinaryFunctions.floating(FN, wholeBytes(f, bytes, start), f.length());
            default: {
                long raw;
                int bits = f.length();
                if (f.bitOffset() < 0 && bits % 8 == 0 || f.bitOffset() == 7 && bits % 8 == 0) {
                    raw = wholeBytes(f, bytes, start);
                } else {
                    raw = bitField(bytes, start, f.bitOffset() < 0 ? 0 : 7 - f.bitOffset(), bits);
                }
                return f.type() == Type.UINT ? BinaryFunctions.unsigned(raw, bits) : BinaryFunctions.signed(raw, bits);
            }
        }
    }

    private static long wholeBytes(Field f, ByteSource bytes, int start) throws TransformFunctionException {
        int count = f.length() / 8;
        long raw = 0;
        for (int i = 0; i < count; i++) {
            raw = (raw << 8) | bytes.at(f.littleEndian() ? start + count - 1 - i : start + i);
        }
        return raw;
    }

    /** {@code bits} bits of the big-endian bit stream, from bit {@code firstBit} (0 = the MSB of the start byte). */
    private static long bitField(ByteSource bytes, int start, int firstBit, int bits) throws TransformFunctionException {
        long raw = 0;
        for (int i = 0; i < bits; i++) {
            int pos = firstBit + i;
            int b = bytes.at(start + pos / 8);
            raw = (raw << 1) | ((b >>> (7 - pos % 8)) & 1);
        }
        return raw;
    }
}
