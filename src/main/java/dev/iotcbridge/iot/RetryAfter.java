package dev.iotcbridge.iot;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Reads a Retry-After header: delta-seconds (what Azure sends) or an HTTP date. */
final class RetryAfter {

    /** Longer waits are treated as this: a peer's typo must not park a device for days. */
    static final Duration MAX = Duration.ofHours(1);

    private RetryAfter() {
    }

    /** @return the wait, or null when the header is absent or unreadable */
    static Duration parse(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String v = header.trim();
        try {
            long seconds = Long.parseLong(v);
            return seconds < 0 ? null : min(Duration.ofSeconds(seconds));
        } catch (NumberFormatException notSeconds) {
            if (!v.isEmpty() && v.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return MAX; // delta-seconds beyond a long: a valid, very long wait (RFC 9110 10.2.3), not an unreadable one
            }
            try {
                Duration d = Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return d.isNegative() ? Duration.ZERO : min(d);
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }

    private static Duration min(Duration d) {
        return d.compareTo(MAX) > 0 ? MAX : d;
    }
}
