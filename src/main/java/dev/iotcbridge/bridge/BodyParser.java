package dev.iotcbridge.bridge;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iotcbridge.error.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns a webhook body into the JSON tree a transform reads, enforcing the body limits. JSON is parsed
 * strictly (duplicate keys, trailing content, invalid UTF-8 and over-deep nesting are rejected) so that a
 * transform never sees an ambiguous document, and from the body's bytes (checked as UTF-8, never decoded to a String); a form-encoded body (Particle's default) becomes an object
 * of its fields.
 */
final class BodyParser {

    private final ObjectMapper mapper;
    private final int maxBodyBytes;
    private final int maxDepth;

    BodyParser(int maxBodyBytes, int maxDepth) {
        this.maxBodyBytes = maxBodyBytes;
        this.maxDepth = maxDepth;
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(maxDepth)
                        .maxDocumentLength(maxBodyBytes)
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        this.mapper = JsonMapper.builder(factory)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .build();
    }

    JsonNode parse(byte[] body, Optional<String> contentType) {
        if (body.length > maxBodyBytes) {
            throw new BadInputException(413, "body is larger than the limit of " + maxBodyBytes + " bytes");
        }
        String mediaType = contentType.map(BodyParser::mediaType)
                .orElseThrow(() -> new BadInputException(415,
                        "no Content-Type: send application/json or application/x-www-form-urlencoded"));
        boolean form = mediaType.equals("application/x-www-form-urlencoded");
        if (isJson(mediaType) || form) {
            refuseOtherCharsets(contentType.get());
            return form ? form(body) : json(body);
        }
        // the type is quoted as it came, a tab or any other control character inside it shown, not sent on
        throw new BadInputException(415, "Content-Type " + abbreviate(mediaType)
                + " is not supported: send application/json or application/x-www-form-urlencoded");
    }

    private static boolean bomAt(byte[] body, int i) {
        return body.length >= i + 3 && body[i] == (byte) 0xEF && body[i + 1] == (byte) 0xBB && body[i + 2] == (byte) 0xBF;
    }

    private JsonNode json(byte[] body) {
        if (body.length == 0) {
            throw BadInputException.badRequest("body is empty: expected a JSON document");
        }
        // Checked here rather than by Jackson: its UTF-8 reader accepts overlong forms (0xC0 0xAF for '/') and
        // guesses UTF-16 and UTF-32 from byte patterns; RFC 8259 JSON between systems is UTF-8, strictly.
        if (!Utf8.isValid(body)) {
            throw BadInputException.badRequest("body is not valid UTF-8");
        }
        // a UTF-8 byte order mark, which some editors and senders write
        int start = bomAt(body, 0) ? 3 : 0;
        // a second mark is a U+FEFF in the text, an error; Jackson's byte reader would skip it as a mark: the String way
        try (JsonParser parser = Utf8.guessedAsUtf8(body, start) && !bomAt(body, start)
                ? mapper.createParser(body, start, body.length - start) // the bytes as they came: no String
                // a NUL among the first bytes (never valid JSON) would make Jackson guess UTF-16 or UTF-32: the
                // same bytes as text, so that the error names the NUL as it does for any other input
                : mapper.createParser(new String(body, start, body.length - start, StandardCharsets.UTF_8))) {
            JsonNode node = mapper.readTree(parser);
            if (node == null || node.isMissingNode()) {
                throw BadInputException.badRequest("body is empty: expected a JSON document");
            }
            return node;
        } catch (StreamConstraintsException e) {
            throw BadInputException.badRequest("body is not acceptable JSON: " + firstLine(e.getOriginalMessage())
                    + (e.getOriginalMessage().contains("nesting") ? " (the limit is " + maxDepth + " levels)" : ""));
        } catch (JsonProcessingException e) {
            throw BadInputException.badRequest("body is not valid JSON: " + firstLine(e.getOriginalMessage())
                    + location(e));
        } catch (IOException e) {
            throw BadInputException.badRequest("body could not be read as JSON");
        } catch (NumberFormatException e) {
            // a number Jackson cannot hold as a BigDecimal (an exponent beyond an int) fails as the tree is built
            throw BadInputException.badRequest("body is not acceptable JSON: " + firstLine(e.getMessage()));
        }
    }

    private static JsonNode form(byte[] body) {
        // a raw line break is never part of a form body (it would be %0A); saved files often end with one
        String text = utf8(body, "form body").strip();
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        if (text.isEmpty()) {
            return fields;
        }
        for (String pair : text.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decodeFormPart(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decodeFormPart(pair.substring(eq + 1));
            fields.put(name, value);
        }
        return fields;
    }

    private static String decodeFormPart(String part) {
        try {
            return java.net.URLDecoder.decode(part, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw BadInputException.badRequest("form body has a malformed %-escape near '" + abbreviate(part) + "'");
        }
    }

    private static String utf8(byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw BadInputException.badRequest(what + " is not valid UTF-8");
        }
    }

    /**
     * Bodies are read as UTF-8, and on Azure the Functions host has already decoded a JSON or form body as UTF-8
     * whatever charset it declared (docs/azure-protocol.md section 5): a body declared in another charset is refused
     * here, by both adapters alike, rather than read as what it is not.
     */
    private static void refuseOtherCharsets(String contentType) {
        for (String parameter : contentType.split(";")) {
            int eq = parameter.indexOf('=');
            if (eq < 0 || !parameter.substring(0, eq).trim().equalsIgnoreCase("charset")) {
                continue;
            }
            String charset = parameter.substring(eq + 1).trim().replace("\"", "").toLowerCase(Locale.ROOT);
            if (!charset.equals("utf-8") && !charset.equals("utf8") && !charset.equals("us-ascii")) {
                throw BadInputException.badRequest("Content-Type declares charset=" + abbreviate(charset)
                        + ": bodies are read as UTF-8 only; send UTF-8 and declare charset=utf-8 or no charset");
            }
        }
    }

    static String mediaType(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    private static boolean isJson(String mediaType) {
        // application/vnd.kerlink.iot-v1+json and friends are JSON too
        return mediaType.equals("application/json") || mediaType.equals("text/json")
                || (mediaType.startsWith("application/") && mediaType.endsWith("+json"));
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "malformed";
        }
        int nl = message.indexOf('\n');
        return abbreviate(nl < 0 ? message : message.substring(0, nl));
    }

    /**
     * At most 160 characters of what the parser quotes from the body, its control characters written as \\u0000
     * first: the message is logged, and a raw CR or ESC from the body would forge a log line or drive a terminal.
     */
    private static String abbreviate(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 170));
        int i = 0;
        for (; i < s.length() && b.length() < 160; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return i < s.length() ? b + "..." : b.toString();
    }
}
