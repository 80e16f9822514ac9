package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
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
        double d = v.asDouble();
        if (d != Math.rint(d) || d < 0 || d > Integer.MAX_VALUE) {
            throw new TransformFunctionException(function, what + " must be a whole number >= 0, got " + JsonText.describe(v));
        }
        return (int) d;
    }
}
