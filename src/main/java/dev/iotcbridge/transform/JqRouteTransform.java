package dev.iotcbridge.transform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.iotcbridge.error.BadInputException;
import dev.iotcbridge.error.BridgeFaultException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import net.thisptr.jackson.jq.JsonQuery;
import net.thisptr.jackson.jq.Scope;
import net.thisptr.jackson.jq.exception.JsonQueryException;
import net.thisptr.jackson.jq.exception.JsonQueryUserException;

/**
 * A compiled transform. Per call it only creates a child scope holding $query, $headers (each built if the program
 * reads it) and $path; the program, $route, $config and every function were prepared at load.
 *
 * <p>Whose fault a failure is (the answer's status):
 * <ul>
 * <li>400, the caller's: {@code error(...)} raised by the transform; one of our functions given bad data; any other
 *     run-time jq error (a type error such as indexing a number): transforms are written against a sender's format,
 *     so a body of another shape makes them fail, and sending the same body again fails again; more outputs than
 *     the caller accepts.</li>
 * <li>500, the operator's: a transform that did not load (syntax, bad directive); a call of a function that does not
 *     exist (jackson-jq resolves names at run time); a call that exceeds its CPU or memory budget, or recurses
 *     without end, or one step that needs more memory than the process has (the transform must be fixed; senders
 *     that retry are cheap to serve since the budget bounds each try); anything else jackson-jq throws (logged with
 *     its stack trace, answered without it).</li>
 * </ul>
 */
final class JqRouteTransform implements RouteTransform {

    private static final Logger LOG = Logger.getLogger(JqRouteTransform.class.getName());
    private static final Pattern UNDEFINED_FUNCTION = Pattern.compile("Function (\\S+::)?\\S+/\\d+ does not exist");
    private static final int MAX_MESSAGE = 300;

    private final String route;
    private final String file;
    private final JsonQuery query;
    private final Scope routeScope;
    private final int successStatus;
    private final TransformLimits limits;
    private final RouteDownlinks downlinks;

    JqRouteTransform(String route, String file, JsonQuery query, Map<String, String> config, int successStatus,
            TransformLimits limits) {
        this(route, file, query, config, successStatus, limits, RouteDownlinks.NONE);
    }

    JqRouteTransform(String route, String file, JsonQuery query, Map<String, String> config, int successStatus,
            TransformLimits limits, RouteDownlinks downlinks) {
        this.downlinks = downlinks;
        this.route = route;
        this.file = file;
        this.query = query;
        this.successStatus = successStatus;
        this.limits = limits;
        this.routeScope = Scope.newChildScope(JqEngine.shared().root());
        routeScope.setValue("route", TextNode.valueOf(route));
        routeScope.setValue("config", stringObject(config));
    }

    @Override
    public String route() {
        return route;
    }

    @Override
    public int successStatus() {
        return successStatus;
    }

    @Override
    public RouteDownlinks downlinks() {
        return downlinks;
    }

    @Override
    public List<JsonNode> apply(JsonNode input, TransformVariables variables, int maxOutputs) {
        Scope scope = Scope.newChildScope(routeScope);
        // built when the program reads them, once per call: most read $query, none of the shipped ones $headers
        scope.setValue("query", variables::queryJson);
        scope.setValue("headers", variables::headersJson);
        scope.setValue("path", TextNode.valueOf(variables.path()));
        List<JsonNode> outputs = new ArrayList<>(2);
        EvaluationBudget budget = new EvaluationBudget(limits);
        EvaluationBudget previous = budget.enter();
        try {
            query.apply(scope, input == null ? NullNode.getInstance() : input, value -> {
                if (outputs.size() >= maxOutputs) {
                    throw new TooManyOutputs();
                }
                outputs.add(value);
            });
        } catch (TooManyOutputs e) {
            throw BadInputException.badRequest("transform " + route + " produced more than " + maxOutputs
                    + " messages for this body; at most " + maxOutputs + " are accepted per call");
        } catch (JsonQueryUserException e) {
            throw BadInputException.badRequest("transform " + route + " rejected the body: " + message(e));
        } catch (JsonQueryException e) {
            if (UNDEFINED_FUNCTION.matcher(String.valueOf(e.getMessage())).find()) {
                throw new BridgeFaultException("transform " + route + " (" + file + ") is broken: " + message(e), null);
            }
            throw BadInputException.badRequest("transform " + route + " failed on this body: " + message(e));
        } catch (EvaluationBudget.Exceeded e) {
            LOG.warning(() -> "transform " + route + " (" + file + ") stopped: it " + e.getMessage());
            throw new BridgeFaultException("transform " + route + " (" + file + ") was stopped: it " + e.getMessage(), null);
        } catch (StackOverflowError e) {
            LOG.warning(() -> "transform " + route + " (" + file + ") stopped: it recursed too deeply");
            throw new BridgeFaultException("transform " + route + " (" + file
                    + ") was stopped: it recursed too deeply (a recursive function without end?)", null);
        } catch (OutOfMemoryError e) {
            // One step that asks for more than the heap holds ("x" * 3e9 asks for a 2 GB array at once): the failed
            // allocation took nothing, and what the call built is garbage once we unwind, so the process is healthy
            // again. Let it escape and the caller's thread dies with its connection open and never answered.
            LOG.severe(() -> "transform " + route + " (" + file + ") stopped: one step needed more memory than the process has");
            throw new BridgeFaultException("transform " + route + " (" + file
                    + ") was stopped: one step needed more memory than the process has (a huge string or array?)", null);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "transform " + route + " (" + file + ") failed inside jackson-jq", e);
            throw new BridgeFaultException("transform " + route + " (" + file + ") failed internally: "
                    + e.getClass().getSimpleName(), null);
        } finally {
            EvaluationBudget.restore(previous);
        }
        return Collections.unmodifiableList(outputs);
    }

    private static String message(JsonQueryException e) {
        String m = e instanceof JsonQueryUserException u && u.getMessageAsJsonNode().isTextual()
                ? u.getMessageAsJsonNode().textValue() : e.getMessage();
        return JsonText.visible(m == null ? e.getClass().getSimpleName() : m.strip(), MAX_MESSAGE);
    }

    static ObjectNode stringObject(Map<String, String> values) {
        ObjectNode node = new ObjectNode(JsonNodeFactory.instance);
        values.forEach((k, v) -> node.put(k, v));
        return node;
    }

    @Override
    public String toString() {
        return "transform " + route + " (" + file + ")";
    }

    /** More outputs than the caller accepts: stops the evaluation at once, so an exploding output is never built. */
    private static final class TooManyOutputs extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooManyOutputs() {
            super(null, null, false, false);
        }
    }
}
