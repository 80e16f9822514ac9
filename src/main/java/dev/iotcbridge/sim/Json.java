package dev.iotcbridge.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/** The simulator's one JSON mapper and the timestamp format DPS uses. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper();

    /** DPS writes seven fractional digits: {@code 2022-04-29T16:47:50.6521434Z}. */
    private static final DateTimeFormatter DPS_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSS'Z'").withZone(ZoneOffset.UTC);

    private Json() {
    }

    static String dpsTime(Instant instant) {
        return DPS_TIME.format(instant);
    }

    static Optional<JsonNode> parse(String text) {
        try {
            return Optional.ofNullable(MAPPER.readTree(text)).filter(n -> !n.isMissingNode());
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
