package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import net.thisptr.jackson.jq.Expression;
import net.thisptr.jackson.jq.Function;
import net.thisptr.jackson.jq.PathOutput;
import net.thisptr.jackson.jq.Scope;
import net.thisptr.jackson.jq.Version;
import net.thisptr.jackson.jq.exception.JsonQueryException;
import net.thisptr.jackson.jq.path.Path;

/** A built-in whose calls and emitted values tick the current call's {@link EvaluationBudget}. */
final class BudgetedFunction implements Function {

    private final Function delegate;

    BudgetedFunction(Function delegate) {
        this.delegate = delegate;
    }

    @Override
    public void apply(Scope scope, List<Expression> args, JsonNode in, Path path, PathOutput output, Version version)
            throws JsonQueryException {
        EvaluationBudget budget = EvaluationBudget.current();
        if (budget == null) {
            delegate.apply(scope, args, in, path, output, version);
            return;
        }
        budget.tick();
        delegate.apply(scope, args, in, path, (value, valuePath) -> {
            budget.tick();
            output.emit(value, valuePath);
        }, version);
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
