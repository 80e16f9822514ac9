package dev.iotcbridge.transform;

import java.util.List;
import java.util.Map;
import net.thisptr.jackson.jq.BuiltinFunctionLoader;
import net.thisptr.jackson.jq.Function;
import net.thisptr.jackson.jq.JsonQuery;
import net.thisptr.jackson.jq.Scope;
import net.thisptr.jackson.jq.Version;
import net.thisptr.jackson.jq.Versions;
import net.thisptr.jackson.jq.exception.JsonQueryException;
import net.thisptr.jackson.jq.internal.IsolatedScopeQuery;
import net.thisptr.jackson.jq.internal.JsonQueryFunction;
import net.thisptr.jackson.jq.internal.javacc.ExpressionParser;

/**
 * The jq dialect of the bridge: jq 1.7 semantics of jackson-jq, plus our functions, in one root scope built once per
 * process and shared read-only by every transform (each call gets its own child scope).
 */
final class JqEngine {

    static final Version VERSION = Versions.JQ_1_7;

    /**
     * jq built-ins that jackson-jq 1.6.2 lacks and transform authors reach for (definitions of jq 1.7's builtin.jq).
     * Defined in jq, closed over the root scope, so their inner calls are budgeted too.
     */
    private static final List<String[]> JQ_DEFINED = List.of(
            new String[] {"repeat", "f", "def _repeat: ., (f | _repeat); _repeat"},
            new String[] {"isempty", "g", "label $go | (g | false, break $go), true"},
            new String[] {"IN", "s", "any(s == .; .)"},
            new String[] {"IN", "src;s", "any(src == s; .)"},
            new String[] {"abs", "", "if type == \"number\" and . < 0 then - . else . end"},
            new String[] {"toarray", "", "if type == \"array\" then . else [.] end"});

    private static final JqEngine SHARED = new JqEngine();

    private final Scope root;

    private JqEngine() {
        root = Scope.newEmptyScope();
        BuiltinFunctionLoader.getInstance().loadFunctions(VERSION, root);
        for (String[] def : JQ_DEFINED) {
            List<String> params = def[1].isEmpty() ? List.of() : List.of(def[1].split(";"));
            try {
                root.addFunction(def[0], params.size(), new JsonQueryFunction(def[0], params,
                        new IsolatedScopeQuery(ExpressionParser.compile(def[2], VERSION)), root));
            } catch (JsonQueryException e) {
                throw new IllegalStateException("built-in " + def[0] + " does not compile", e);
            }
        }
        // every built-in so far can loop or build values: each call and each output ticks the call's budget
        // (getLocalFunctions is a copy; addFunction with the "name/arity" key replaces the original)
        Map<String, Function> builtins = root.getLocalFunctions();
        builtins.forEach((nameAndArity, f) -> root.addFunction(nameAndArity, new BudgetedFunction(f)));
        // ours decode a bounded payload and need no budget
        BinaryFunctions.register(root);
        EncodingFunctions.register(root);
        SigfoxFunctions.register(root);
        TimeFunctions.register(root);
        PropertyFunctions.register(root);
    }

    static JqEngine shared() {
        return SHARED;
    }

    /** The root scope: parent of every route's scope; never written after construction. */
    Scope root() {
        return root;
    }

    static JsonQuery compile(String program) throws JsonQueryException {
        return JsonQuery.compile(program, VERSION);
    }
}
