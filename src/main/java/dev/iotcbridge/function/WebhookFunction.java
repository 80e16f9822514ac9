package dev.iotcbridge.function;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatusType;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.bridge.WebhookResponse;
import dev.iotcbridge.error.BridgeException;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Azure Functions entry points: turn the host's request into the handler's and back. Nothing else happens here;
 * the handler is shared by every invocation of this instance.
 *
 * <p>The trigger binds what the host really sends (docs/azure-protocol.md section 5): the body as a string (the host
 * sends JSON and form bodies as UTF-8 text to the Java worker, whatever {@code dataType} says) and nothing from the
 * binding data: the route and path come from the URL ({@link HostRequest}).
 */
public final class WebhookFunction {

    private final Supplier<WebhookHandler> handler;

    /** Used by the Functions host. */
    public WebhookFunction() {
        this(FunctionRuntime::handler);
    }

    WebhookFunction(Supplier<WebhookHandler> handler) {
        this.handler = handler;
    }

    @FunctionName("webhook")
    public HttpResponseMessage webhook(
            @HttpTrigger(name = "request", methods = {HttpMethod.POST}, authLevel = AuthorizationLevel.FUNCTION,
                    route = "{route}/{*path}") HttpRequestMessage<Optional<String>> request,
            ExecutionContext context) {
        Logger log = context.getLogger();
        WebhookResponse response;
        String route = "?";
        try (HostLog.Scope scope = HostLog.during(log)) {
            WebhookRequest call = HostRequest.read(request);
            route = call.route();
            WebhookHandler h = handler.get();
            response = h.handle(call, log);
            CounterReport.SHARED.maybeReport(h.counters(), log);
        } catch (BridgeException e) {
            // a URL with no route, or a bridge that could not start: the status and reason are true ones
            response = WebhookResponse.error(e.status(), e.getMessage());
        } catch (RuntimeException e) {
            // a bug of ours: the sender gets a status that makes it retry, never our stack trace
            log.log(Level.SEVERE, "unexpected failure on route " + route, e);
            response = WebhookResponse.error(500, "internal error; the call was not processed");
        }
        return http(request, response);
    }

    /**
     * Whether this instance can serve (settings usable, transforms compiled, clients built), without calling DPS:
     * 200 {@code {"status":"ok",...}}, or 503 {@code {"status":"unusable","error":...}} naming the setting. No key.
     */
    @FunctionName("health")
    public HttpResponseMessage health(
            @HttpTrigger(name = "request", methods = {HttpMethod.GET}, authLevel = AuthorizationLevel.ANONYMOUS,
                    route = "health") HttpRequestMessage<Optional<String>> request) {
        return http(request, FunctionRuntime.health());
    }

    private static HttpResponseMessage http(HttpRequestMessage<?> request, WebhookResponse response) {
        HttpResponseMessage.Builder builder = request.createResponseBuilder(HttpStatusType.custom(response.status()));
        response.headers().forEach(builder::header);
        if (response.body().length > 0) {
            builder.body(response.body());
        }
        return builder.build();
    }
}
