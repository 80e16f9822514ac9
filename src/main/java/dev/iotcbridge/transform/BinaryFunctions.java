package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import net.thisptr.jackson.jq.Expression;
import net.thisptr.jackson.jq.Function;
import net.thisptr.jackson.jq.PathOutput;
import net.thisptr.jackson.jq.Scope;
import net.thisptr.jackson.jq.Version;
import net.thisptr.jackson.jq.exception.JsonQueryException;
import net.thisptr.jackson.jq.path.Path;

/**
 * The byte-decoding functions every transform can call (docs/transform-functions.md): hex_bytes, base64_bytes,
 * bytes_hex, bytes_text, uint_at, int_at, float_at, bit_at. Bytes are jq arrays of integers 0..255.
 */
final class BinaryFunctions {

    /** Byte values are immutable nodes; sharing them spares one allocation per decoded byte. */
    private static final IntNode[] BYTE_NODES = new IntNode[256];
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    static {
        for (int i = 0; i < 256; i++) {
            BYTE_NODES[i] = IntNode.valueOf(i);
        }
    }

    private BinaryFunctions() {
    }

    static void register(Scope scope) {
        scope.addFunction("hex_bytes", 0, simple("hex_bytes", BinaryFunctions::hexBytes));
        scope.addFunction("base64_bytes", 0, simple("base64_bytes", BinaryFunctions::base64Bytes));
        scope.addFunction("bytes_hex", 0, simple("bytes_hex", BinaryFunctions::bytesHex));
        scope.addFunction("bytes_text", 0, simple("bytes_text", BinaryFunctions::bytesText));
        for (String signedness : List.of("uint_at", "int_at", "float_at")) {
            Function f = (scope1, args, in, path, out, version) -> FunctionArgs.each(scope1, args, in,
                    v -> out.emit(numberAt(signedness, in, v), null));
            scope.addFunction(signedness, 2, f);
            scope.addFunction(signedness, 3, f);
        }
        scope.addFunction("bit_at", 2, (scope1, args, in, path, out, version) -> FunctionArgs.each(scope1, args, in,
                v -> out.emit(bitAt(in, v[0], v[1]), null)));
    }

    @FunctionalInterface
    interface Unary {
        JsonNode apply(JsonNode in) throws JsonQueryException;
    }

    /** A zero-argument function of its input. */
    static Function simple(String name, Unary body) {
        return new Function() {
            @Override
            public void apply(Scope scope, List<Expression> args, JsonNode in, Path path, PathOutput output,
                    Version version) throws JsonQueryException {
                output.emit(body.apply(in), null);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    static ArrayNode hexBytes(JsonNode in) throws TransformFunctionException {
        if (in == null || !in.isTextual()) {
            throw new TransformFunctionException("hex_bytes", "input must be a hex string, got " + JsonText.describe(in));
        }
        String text = in.textValue();
        ByteSource.checkHex("hex_bytes", text);
        ArrayNode out = new ArrayNode(JsonNodeFactory.instance, text.length() / 2);
        for (int i = 0; i < text.length(); i += 2) {
            out.add(BYTE_NODES[(Character.digit(text.charAt(i), 16) << 4) | Character.digit(text.charAt(i + 1), 16)]);
        }
        return out;
    }

    static ArrayNode base64Bytes(JsonNode in) throws TransformFunctionException {
        if (in == null || !in.isTextual()) {
            throw new TransformFunctionException("base64_bytes", "input must be a base64 string, got " + JsonText.describe(in));
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(in.textValue());
        } catch (IllegalArgumentException e) {
            throw new TransformFunctionException("base64_bytes", "not valid base64 (" + e.getMessage() + ")");
        }
        return bytesNode(bytes);
    }

    static ArrayNode bytesNode(byte[] bytes) {
        ArrayNode out = new ArrayNode(JsonNodeFactory.instance, bytes.length);
        for (byte b : bytes) {
            out.add(BYTE_NODES[b & 0xff]);
        }
        return out;
    }

    static TextNode bytesHex(JsonNode in) throws TransformFunctionException {
        ByteSource bytes = byteArray("bytes_hex", in);
        char[] out = new char[bytes.length() * 2];
        for (int i = 0; i < bytes.length(); i++) {
            int b = bytes.at(i);
            out[2 * i] = HEX[b >>> 4];
            out[2 * i + 1] = HEX[b & 0xf];
        }
        return TextNode.valueOf(new String(out));
    }

    static TextNode bytesText(JsonNode in) throws TransformFunctionException {
        ByteSource source = byteArray("bytes_text", in);
        byte[] bytes = new byte[source.length()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) source.at(i);
        }
        try {
            return TextNode.valueOf(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            throw new TransformFunctionException("bytes_text", "the bytes are not valid UTF-8");
        }
    }

    private static ByteSource byteArray(String function, JsonNode in) throws TransformFunctionException {
        if (in == null || !in.isArray()) {
            throw new TransformFunctionException(function, "input must be a byte array, got " + JsonText.describe(in));
        }
        return ByteSource.of(function, in);
    }

    /** uint_at, int_at, float_at with (offset; bits) or (offset; bits; order). */
    static JsonNode numberAt(String function, JsonNode in, JsonNode[] args) throws TransformFunctionException {
        ByteSource bytes = ByteSource.of(function, in);
        int offset = FunctionArgs.wholeNumber(function, "offset", args[0]);
        int bits = bits(function, args[1]);
        boolean littleEndian = args.length > 2 && littleEndian(function, args[2]);
        int count = bits / 8;
        bytes.require(function, offset, count);
        long raw = 0;
        for (int i = 0; i < count; i++) {
            int b = bytes.at(littleEndian ? offset + count - 1 - i : offset + i);
            raw = (raw << 8) | b;
        }
        return switch (function) {
            case "uint_at" -> unsigned(raw, bits);
            case "int_at" -> signed(raw, bits);
            default -> floating(function, raw, bits);
        };
    }

    private static int bits(String function, JsonNode v) throws TransformFunctionException {
        int bits = FunctionArgs.wholeNumber(function, "bits", v);
        boolean ok = function.equals("float_at") ? bits == 32 || bits == 64 : bits >= 8 && bits <= 64 && bits % 8 == 0;
        if (!ok) {
            throw new TransformFunctionException(function, "unsupported bit width " + bits + "; use "
                    + (function.equals("float_at") ? "32 or 64" : "8, 16, 24, 32, 40, 48, 56 or 64"));
        }
        return bits;
    }

    private static boolean littleEndian(String function, JsonNode v) throws TransformFunctionException {
        if (v != null && v.isTextual()) {
            if (v.textValue().equals("le")) {
                return true;
            }
            if (v.textValue().equals("be")) {
                return false;
            }
        }
        throw new TransformFunctionException(function, "byte order must be \"be\" or \"le\", got " + JsonText.describe(v));
    }

    static JsonNode unsigned(long raw, int bits) {
        if (bits < 32 || (bits == 32 && raw <= Integer.MAX_VALUE)) {
            return IntNode.valueOf((int) raw);
        }
        if (raw >= 0) {
            return LongNode.valueOf(raw);
        }
        // only a 64-bit value can reach here: beyond Long.MAX_VALUE, kept exact
        return BigIntegerNode.valueOf(new BigInteger(Long.toUnsignedString(raw)));
    }

    static JsonNode signed(long raw, int bits) {
        long value = bits == 64 ? raw : (raw << (64 - bits)) >> (64 - bits);
        return value == (int) value ? IntNode.valueOf((int) value) : LongNode.valueOf(value);
    }

    static JsonNode floating(String function, long raw, int bits) {
        if (bits == 64) {
            return DoubleNode.valueOf(Double.longBitsToDouble(raw));
        }
        float f = Float.intBitsToFloat((int) raw);
        if (Float.isNaN(f) || Float.isInfinite(f)) {
            return DoubleNode.valueOf(f);
        }
        // the shortest decimal that reads back as this float: 0.1, not 0.10000000149011612
        return DoubleNode.valueOf(Double.parseDouble(Float.toString(f)));
    }

    static BooleanNode bitAt(JsonNode in, JsonNode offsetArg, JsonNode bitArg) throws TransformFunctionException {
        ByteSource bytes = ByteSource.of("bit_at", in);
        int offset = FunctionArgs.wholeNumber("bit_at", "offset", offsetArg);
        int bit = FunctionArgs.wholeNumber("bit_at", "bit", bitArg);
        if (bit > 7) {
            throw new TransformFunctionException("bit_at", "bit must be 0..7 (0 = least significant), got " + bit);
        }
        bytes.require("bit_at", offset, 1);
        return BooleanNode.valueOf((bytes.at(offset) & (1 << bit)) != 0);
    }
}
