package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.thisptr.jackson.jq.Function;
import net.thisptr.jackson.jq.Scope;

/**
 * The encoding counterparts of {@link BinaryFunctions}, for downlink mappings (docs/transform-functions.md): a number
 * becomes the bytes {@code uint_at}, {@code int_at} or {@code float_at} would read back, text becomes UTF-8 bytes,
 * bytes become base64. Byte arrays join with jq's {@code +}. {@code lorawan_max_bytes} says how much a LoRaWAN
 * downlink may carry at a spreading factor.
 */
final class EncodingFunctions {

    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
    /** A spreading factor as the clouds write data rates: SF9BW125, SF9 BW125 4/5. */
    private static final Pattern DATA_RATE = Pattern.compile("(?i)SF(\\d{1,2})(?!\\d)");

    private EncodingFunctions() {
    }

    static void register(Scope scope) {
        for (String name : List.of("uint_bytes", "int_bytes", "float_bytes")) {
            Function f = (scope1, args, in, path, out, version) -> FunctionArgs.each(scope1, args, in,
                    v -> out.emit(numberBytes(name, in, v), null));
            scope.addFunction(name, 1, f);
            scope.addFunction(name, 2, f);
        }
        scope.addFunction("bytes_base64", 0, BinaryFunctions.simple("bytes_base64", EncodingFunctions::bytesBase64));
        scope.addFunction("text_bytes", 0, BinaryFunctions.simple("text_bytes", EncodingFunctions::textBytes));
        scope.addFunction("lorawan_max_bytes", 0, BinaryFunctions.simple("lorawan_max_bytes", EncodingFunctions::loraMaxBytes));
    }

    /** uint_bytes, int_bytes, float_bytes with (bits) or (bits; order): big-endian unless "le". */
    static ArrayNode numberBytes(String function, JsonNode in, JsonNode[] args) throws TransformFunctionException {
        int bits = FunctionArgs.wholeNumber(function, "bits", args[0]);
        boolean floating = function.equals("float_bytes");
        if (floating ? bits != 32 && bits != 64 : bits < 8 || bits > 64 || bits % 8 != 0) {
            throw new TransformFunctionException(function, "unsupported bit width " + bits + "; use "
                    + (floating ? "32 or 64" : "8, 16, 24, 32, 40, 48, 56 or 64"));
        }
        boolean littleEndian = args.length > 1 && littleEndian(function, args[1]);
        if (in == null || !in.isNumber()) {
            throw new TransformFunctionException(function, "input must be a number, got " + JsonText.describe(in));
        }
        long raw = floating ? floatBits(in, bits) : integerBits(function, in, bits);
        int count = bits / 8;
        byte[] bytes = new byte[count];
        for (int i = 0; i < count; i++) {
            int shift = 8 * (count - 1 - i);
            bytes[littleEndian ? count - 1 - i : i] = (byte) (raw >>> shift);
        }
        return BinaryFunctions.bytesNode(bytes);
    }

    private static long floatBits(JsonNode in, int bits) {
        double d = in.doubleValue();
        return bits == 64 ? Double.doubleToLongBits(d) : Float.floatToIntBits((float) d) & 0xffffffffL;
    }

    /** A whole number that fits the width, as uint (0..2^bits-1) or int (two's complement) would read it back. */
    private static long integerBits(String function, JsonNode in, int bits) throws TransformFunctionException {
        BigInteger value;
        try {
            value = new BigDecimal(in.asText()).toBigIntegerExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new TransformFunctionException(function, "input must be a whole number, got " + JsonText.describe(in));
        }
        boolean signed = function.equals("int_bytes");
        BigInteger min = signed ? BigInteger.ONE.shiftLeft(bits - 1).negate() : BigInteger.ZERO;
        BigInteger max = signed ? BigInteger.ONE.shiftLeft(bits - 1).subtract(BigInteger.ONE)
                : BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new TransformFunctionException(function, value + " does not fit " + bits + " bits ("
                    + (signed ? "signed" : "unsigned") + ": " + min + ".." + max + ")");
        }
        return value.signum() < 0 ? value.add(TWO_64).longValue() : value.longValue();
    }

    private static boolean littleEndian(String function, JsonNode v) throws TransformFunctionException {
        if (v != null && v.isTextual() && (v.textValue().equals("le") || v.textValue().equals("be"))) {
            return v.textValue().equals("le");
        }
        throw new TransformFunctionException(function, "byte order must be \"be\" or \"le\", got " + JsonText.describe(v));
    }

    static TextNode bytesBase64(JsonNode in) throws TransformFunctionException {
        return TextNode.valueOf(Base64.getEncoder().encodeToString(bytes("bytes_base64", in)));
    }

    static ArrayNode textBytes(JsonNode in) throws TransformFunctionException {
        if (in == null || !in.isTextual()) {
            throw new TransformFunctionException("text_bytes", "input must be a string, got " + JsonText.describe(in));
        }
        return BinaryFunctions.bytesNode(in.textValue().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The application payload a LoRaWAN downlink may carry at a spreading factor (a number, or a data rate such as
     * {@code "SF9BW125"} or {@code "SF9 BW125 4/5"}): 51 bytes at SF10-SF12, 115 at SF9, 222 at SF7-SF8: the EU868 figures with room for a
     * repeater (LoRaWAN Regional Parameters, RP002). Other regions differ (a route sets {@code downlink_max_bytes} for
     * them), and the network server still has the last word.
     */
    static IntNode loraMaxBytes(JsonNode in) throws TransformFunctionException {
        int sf;
        if (in != null && in.isNumber() && in.canConvertToInt()) {
            sf = in.intValue();
        } else if (in != null && in.isTextual()) {
            Matcher m = DATA_RATE.matcher(in.textValue());
            if (!m.find()) {
                throw new TransformFunctionException("lorawan_max_bytes", "input must be a spreading factor (7..12) or a "
                        + "data rate such as \"SF9BW125\", got " + JsonText.describe(in));
            }
            sf = Integer.parseInt(m.group(1));
        } else {
            throw new TransformFunctionException("lorawan_max_bytes", "input must be a spreading factor (7..12) or a "
                    + "data rate such as \"SF9BW125\", got " + JsonText.describe(in));
        }
        return switch (sf) {
            case 7, 8 -> IntNode.valueOf(222);
            case 9 -> IntNode.valueOf(115);
            case 10, 11, 12 -> IntNode.valueOf(51);
            default -> throw new TransformFunctionException("lorawan_max_bytes", "spreading factor must be 7..12, got " + sf);
        };
    }

    /** A byte array (or hex string) as Java bytes. */
    static byte[] bytes(String function, JsonNode in) throws TransformFunctionException {
        ByteSource source = ByteSource.of(function, in);
        byte[] out = new byte[source.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) source.at(i);
        }
        return out;
    }
}
