package dev.iotcbridge.fuzz;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Sigfox payload definitions decoded as docs/transform-functions.md describes them ("Sigfox payload definitions"),
 * written from that text alone, to check sigfox_decode against: the same definition and bytes must give the same
 * values, and a field the data cannot hold must be an error. Where the text does not decide (a number with more than
 * four digits, a name defined twice), the oracle says {@link #UNSPECIFIED} and the target compares nothing.
 */
final class SigfoxOracle {

    /** An error the documentation requires (bad syntax, a field beyond the data). */
    static final Object ERROR = new Object() {
        @Override
        public String toString() {
            return "an error";
        }
    };
    /** The documentation does not say. */
    static final Object UNSPECIFIED = new Object() {
        @Override
        public String toString() {
            return "unspecified";
        }
    };

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern NUMBER = Pattern.compile("[0-9]+");

    private enum Type { BOOL, CHAR, FLOAT, UINT, INT }

    private record Field(String name, int index, Type type, int size, boolean little, int bitOffset) {
        boolean bitAddressed() {
            return type == Type.BOOL || bitOffset >= 0;
        }
    }

    private SigfoxOracle() {
    }

    /** name -> Boolean, String, BigInteger or Float/Double; or {@link #ERROR}, {@link #UNSPECIFIED}. */
    static Object decode(String definition, byte[] data) {
        String text = definition.strip();
        if (text.isEmpty()) {
            return ERROR;
        }
        java.util.List<Field> fields = new java.util.ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String token : text.split("\\s+")) {
            Object f = field(token);
            if (!(f instanceof Field field)) {
                return f;
            }
            if (!names.add(field.name())) {
                return UNSPECIFIED;
            }
            fields.add(field);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        int last = -1;
        Field previous = null;
        for (Field f : fields) {
            int start = f.index() >= 0 ? f.index()
                    : previous == null ? 0
                    : f.type() == Type.BOOL || previous.bitAddressed() ? last
                    : last + 1;
            int span = span(f);
            if ((long) start + span > data.length) {
                return ERROR;
            }
            out.put(f.name(), value(f, data, start));
            last = start + span - 1;
            previous = f;
        }
        return out;
    }

    private static Object field(String token) {
        String[] p = token.split(":", -1);
        if (p.length < 4 || !NAME.matcher(p[0]).matches()) {
            return ERROR;
        }
        Object index = p[1].isEmpty() ? Integer.valueOf(-1) : number(p[1]);
        if (!(index instanceof Integer i)) {
            return index;
        }
        switch (p[2]) {
            case "bool": {
                if (p.length != 4) {
                    return ERROR;
                }
                Object bit = number(p[3]);
                if (!(bit instanceof Integer b)) {
                    return bit;
                }
                return b > 7 ? ERROR : new Field(p[0], i, Type.BOOL, 1, false, b);
            }
            case "char": {
                if (p.length != 4) {
                    return ERROR;
                }
                Object n = number(p[3]);
                if (!(n instanceof Integer length)) {
                    return n;
                }
                return length < 1 ? ERROR : new Field(p[0], i, Type.CHAR, length, false, -1);
            }
            case "float": {
                if (p.length > 5) {
                    return ERROR;
                }
                Object n = number(p[3]);
                if (!(n instanceof Integer bits)) {
                    return n;
                }
                Object little = endianness(p, 4);
                if (!(little instanceof Boolean l) || bits != 32 && bits != 64) {
                    return ERROR;
                }
                return new Field(p[0], i, Type.FLOAT, bits, l, -1);
            }
            case "uint":
            case "int": {
                if (p.length > 6) {
                    return ERROR;
                }
                Object n = number(p[3]);
                if (!(n instanceof Integer bits)) {
                    return n;
                }
                Object little = endianness(p, 4);
                if (!(little instanceof Boolean l) || bits < 1 || bits > 64) {
                    return ERROR;
                }
                int offset = -1;
                if (p.length == 6 && !p[5].isEmpty()) {
                    Object o = number(p[5]);
                    if (!(o instanceof Integer off)) {
                        return o;
                    }
                    if (off > 7) {
                        return ERROR;
                    }
                    offset = off;
                }
                // little-endian needs a whole number of bytes starting at a byte boundary
                if (l && (bits % 8 != 0 || offset >= 0 && offset != 7)) {
                    return ERROR;
                }
                return new Field(p[0], i, p[2].equals("uint") ? Type.UINT : Type.INT, bits, l, offset);
            }
            default:
                return ERROR;
        }
    }

    /** A parameter: digits; the text says nothing of how many, so more than four are left unspecified. */
    private static Object number(String s) {
        if (!NUMBER.matcher(s).matches()) {
            return ERROR;
        }
        return s.length() > 4 ? UNSPECIFIED : Integer.valueOf(Integer.parseInt(s));
    }

    /** Empty or absent: big-endian. */
    private static Object endianness(String[] p, int at) {
        if (p.length <= at || p[at].isEmpty() || p[at].equals("big-endian")) {
            return Boolean.FALSE;
        }
        return p[at].equals("little-endian") ? Boolean.TRUE : ERROR;
    }

    /** The bytes a field touches from its start byte. */
    private static int span(Field f) {
        return switch (f.type()) {
            case BOOL -> 1;
            case CHAR -> f.size();
            case FLOAT -> f.size() / 8;
            default -> ((f.bitOffset() < 0 ? 0 : 7 - f.bitOffset()) + f.size() + 7) / 8;
        };
    }

    private static Object value(Field f, byte[] data, int start) {
        switch (f.type()) {
            case BOOL:
                return ((data[start] >> f.bitOffset()) & 1) == 1;
            case CHAR:
                return new String(data, start, f.size(), StandardCharsets.UTF_8);
            case FLOAT: {
                byte[] b = new byte[f.size() / 8];
                for (int i = 0; i < b.length; i++) {
                    b[i] = data[f.little() ? start + b.length - 1 - i : start + i];
                }
                ByteBuffer buf = ByteBuffer.wrap(b);
                return f.size() == 32 ? (Object) buf.getFloat() : (Object) buf.getDouble();
            }
            default: {
                BigInteger raw = BigInteger.ZERO;
                if (f.little()) {
                    for (int i = f.size() / 8 - 1; i >= 0; i--) {
                        raw = raw.shiftLeft(8).or(BigInteger.valueOf(data[start + i] & 0xff));
                    }
                } else {
                    // bits from the field's first bit, most significant first, running into the next bytes
                    int firstBit = f.bitOffset() < 0 ? 0 : 7 - f.bitOffset();
                    for (int i = 0; i < f.size(); i++) {
                        int pos = firstBit + i;
                        int bit = (data[start + pos / 8] >> (7 - pos % 8)) & 1;
                        raw = raw.shiftLeft(1).or(BigInteger.valueOf(bit));
                    }
                }
                if (f.type() == Type.INT && raw.testBit(f.size() - 1)) {
                    raw = raw.subtract(BigInteger.ONE.shiftLeft(f.size()));
                }
                return raw;
            }
        }
    }
}
