package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.List;
import net.thisptr.jackson.jq.Expression;
import net.thisptr.jackson.jq.Scope;
import net.thisptr.jackson.jq.exception.JsonQueryException;

/** Evaluates a function's arguments as jq does: every combination of their outputs, the first argument outermost. */
final class FunctionArgs {

    @FunctionalInterface
    interface Body {
        void apply(JsonNode[] values) throws JsonQueryException;
    }

    private FunctionArgs() {
    }

    static void each(Scope scope, List<Expression> args, JsonNode in, Body body) throws JsonQueryException {
        JsonNode[] values = new JsonNode[args.size()];
        each(scope, args, in, 0, values, body);
    }

    private static void each(Scope scope, List<Expression> args, JsonNode in, int i, JsonNode[] values, Body body)
            throws JsonQueryException {
        if (i == values.length) {
            body.apply(values);
            return;
        }
        args.get(i).apply(scope, in, v -> {
            values[i] = v;
            each(scope, args, in, i + 1, values, body);
        });
    }

    /** A non-negative whole number argument (an offset, a width). */
    static int wholeNumber(String function, String what, JsonNode v) throws TransformFunctionException {
        if (v == null || !v.isNumber()) {
            throw new TransformFunctionException(function, what + " must be a number, got " + JsonText.describe(v));
        }
        // exact, as a byte is: through a double, 1.0000000000000000001 (a BigDecimal from the body) was the bit 1
        if (!(v.isDouble() || v.isFloat()) || Double.isFinite(v.doubleValue())) {
            BigDecimal d = v.decimalValue();
            if (d.signum() >= 0 && d.stripTrailingZeros().scale() <= 0 && d.compareTo(INT_MAX) <= 0) {
                return d.intValueExact();
            }
        }
        throw new TransformFunctionException(function, what + " must be a whole number >= 0, got " + JsonText.describe(v));
    }

    private static final BigDecimal INT_MAX = BigDecimal.valueOf(Integer.MAX_VALUE);
}
