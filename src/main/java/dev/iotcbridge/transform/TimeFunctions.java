package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import net.thisptr.jackson.jq.Scope;

/**
 * utc_seconds, utc_millis, utc_iso: a cloud's time, whatever its unit, as the canonical timestamp
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, milliseconds, truncated, never rounded).
 */
final class TimeFunctions {

    /** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the years a four-digit timestamp can hold. */
    private static final long MIN_MILLIS = -62_167_219_200_000L;
    private static final long MAX_MILLIS = 253_402_300_799_999L;

    /** RFC 3339 / ISO-8601 with an offset: 'T' or 't', 0..9 fraction digits, Z, z, +01:00 or +0100. */
    private static final DateTimeFormatter ISO_SHAPE = new DateTimeFormatterBuilder()
            .parseCaseInsensitive()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .appendLiteral('T')
            .appendValue(ChronoField.HOUR_OF_DAY, 2).appendLiteral(':')
            .appendValue(ChronoField.MINUTE_OF_HOUR, 2).appendLiteral(':')
            .appendValue(ChronoField.SECOND_OF_MINUTE, 2)
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .toFormatter();
    /**
     * The same, resolved strictly: the builder's default (SMART) moves September 31st to the 30th, a time the cloud
     * never sent (fuzz finding 12).
     */
    private static final DateTimeFormatter ISO_WITH_OFFSET = ISO_SHAPE.withResolverStyle(ResolverStyle.STRICT);

    private TimeFunctions() {
    }

    static void register(Scope scope) {
        scope.addFunction("utc_seconds", 0, BinaryFunctions.simple("utc_seconds", in -> format("utc_seconds",
                epoch("utc_seconds", in, "seconds"), 3)));
        scope.addFunction("utc_millis", 0, BinaryFunctions.simple("utc_millis", in -> format("utc_millis",
                epoch("utc_millis", in, "milliseconds"), 0)));
        scope.addFunction("utc_iso", 0, BinaryFunctions.simple("utc_iso", TimeFunctions::utcIso));
    }

    private static BigDecimal epoch(String function, JsonNode in, String unit) throws TransformFunctionException {
        if (in != null && in.isNumber()) {
            if (in.isDouble() || in.isFloat()) {
                double d = in.doubleValue();
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    throw new TransformFunctionException(function, "input must be a finite number of " + unit);
                }
            }
            return in.decimalValue();
        }
        if (in != null && in.isTextual()) {
            String text = in.textValue().strip();
            try {
                if (!text.isEmpty() && text.length() <= 40 && text.chars().allMatch(c -> c == '.' || c == '-' || c == '+'
                        || c == 'e' || c == 'E' || (c >= '0' && c <= '9'))) {
                    return new BigDecimal(text);
                }
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
            throw new TransformFunctionException(function, "input must be a number of " + unit + ", got "
                    + JsonText.describe(in));
        }
        throw new TransformFunctionException(function, "input must be a number of " + unit + " or a numeric string, got "
                + JsonText.describe(in));
    }

    /**
     * @param value        the time in its unit
     * @param toMillisDigits the power of ten that makes it milliseconds (3 for seconds)
     */
    private static TextNode format(String function, BigDecimal value, int toMillisDigits) throws TransformFunctionException {
        // The magnitude decides before any arithmetic: 1e999999999 is far outside the years 0000..9999, and scaling it
        // to whole milliseconds would overflow BigDecimal's scale or build a number of a billion digits.
        long digits = (long) value.precision() - value.scale() + toMillisDigits; // digits of the milliseconds before the point
        if (value.signum() != 0 && digits > 16) {
            throw outOfRange(function, JsonText.clip(value.toString(), 30) + (toMillisDigits == 3 ? " s" : " ms"));
        }
        BigDecimal whole = value.signum() == 0 || digits < -1
                ? (value.signum() < 0 ? BigDecimal.ONE.negate() : BigDecimal.ZERO) // under 0.1 ms from 1970: floor is 0 or -1
                : value.movePointRight(toMillisDigits).setScale(0, RoundingMode.FLOOR);
        if (whole.compareTo(BigDecimal.valueOf(MIN_MILLIS)) < 0 || whole.compareTo(BigDecimal.valueOf(MAX_MILLIS)) > 0) {
            throw outOfRange(function, JsonText.clip(value.movePointRight(toMillisDigits).toPlainString(), 30) + " ms");
        }
        return TextNode.valueOf(format(whole.longValueExact()));
    }

    private static TransformFunctionException outOfRange(String function, String time) {
        return new TransformFunctionException(function, "the time " + time + " since 1970 is outside the years 0000..9999"
                + (function.equals("utc_seconds") ? "; is it milliseconds (utc_millis)?" : "; is it seconds (utc_seconds)?"));
    }

    private static TextNode utcIso(JsonNode in) throws TransformFunctionException {
        if (in == null || !in.isTextual()) {
            throw new TransformFunctionException("utc_iso", "input must be an ISO-8601 date-time string, got "
                    + JsonText.describe(in));
        }
        OffsetDateTime t;
        try {
            t = OffsetDateTime.parse(in.textValue().strip(), ISO_WITH_OFFSET);
        } catch (DateTimeParseException e) {
            if (e.getCause() != null && e.getCause().getMessage() != null && hasTheShape(in.textValue().strip())) {
                // the calendar has no such day or time: the cause names which ("Invalid date 'SEPTEMBER 31'")
                throw new TransformFunctionException("utc_iso", "'" + JsonText.clip(in.textValue(), 40)
                        + "' is not a valid date and time: " + e.getCause().getMessage());
            }
            throw new TransformFunctionException("utc_iso", "'" + JsonText.clip(in.textValue(), 40)
                    + "' is not an ISO-8601 date-time with an offset, such as 2024-05-01T10:00:00.123Z or 2024-05-01T12:00:00+02:00");
        }
        Instant instant = t.toInstant();
        long millis = instant.getEpochSecond() * 1000 + instant.getNano() / 1_000_000;
        if (millis < MIN_MILLIS || millis > MAX_MILLIS) {
            throw new TransformFunctionException("utc_iso", "the time is outside the years 0000..9999 once in UTC");
        }
        return TextNode.valueOf(format(millis));
    }

    /** Whether the text is an ISO-8601 date-time with an offset in form, whatever its day and time (the error path only). */
    private static boolean hasTheShape(String text) {
        try {
            OffsetDateTime.parse(text, ISO_SHAPE);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /** Epoch milliseconds as YYYY-MM-DDTHH:MM:SS.mmmZ; by hand, since this runs for every message. */
    static String format(long epochMillis) {
        long seconds = Math.floorDiv(epochMillis, 1000);
        int millis = (int) Math.floorMod(epochMillis, 1000);
        LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, 0, ZoneOffset.UTC);
        char[] c = new char[24];
        put(c, 0, t.getYear(), 4);
        c[4] = '-';
        put(c, 5, t.getMonthValue(), 2);
        c[7] = '-';
        put(c, 8, t.getDayOfMonth(), 2);
        c[10] = 'T';
        put(c, 11, t.getHour(), 2);
        c[13] = ':';
        put(c, 14, t.getMinute(), 2);
        c[16] = ':';
        put(c, 17, t.getSecond(), 2);
        c[19] = '.';
        put(c, 20, millis, 3);
        c[23] = 'Z';
        return new String(c);
    }

    private static void put(char[] c, int at, int value, int digits) {
        for (int i = at + digits - 1; i >= at; i--) {
            c[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }
}
