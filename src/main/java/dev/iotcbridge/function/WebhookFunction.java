package dev.iotcbridge.function;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import com.microsoft.azure.functions.HttpStatusType;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import dev.iotcbridge.bridge.WebhookHandler;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.bridge.WebhookResponse;
import dev.iotcbridge.error.BridgeFaultException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Level;

/**
 * The Azure Functions entry point: turns the host's request into the handler's and back. Nothing else
 * happens here; the handler is shared by every invocation of this instance.
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
                    route = "{route}/{*path}", dataType = "binary") HttpRequestMessage<Optional<byte[]>> request,
            @BindingName("route") String route,
            @BindingName("path") String path,
            ExecutionContext context) {
        Map<String, String> headers = new HashMap<>();
        request.getHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
        WebhookRequest call = new WebhookRequest(route, path == null ? "" : path, request.getQueryParameters(), headers,
                request.getBody().orElse(null));
        WebhookResponse response;
        try {
            response = handler.get().handle(call, context.getLogger());
        } catch (BridgeFaultException e) {
            response = WebhookResponse.error(e.status(), e.getMessage());
        } catch (RuntimeException e) {
            // a bug of ours: the sender gets a status that makes it retry, never our stack trace
            context.getLogger().log(Level.SEVERE, "unexpected failure on route " + route, e);
            response = WebhookResponse.error(500, "internal error; the call was not processed");
        }
        HttpResponseMessage.Builder builder = request.createResponseBuilder(HttpStatusType.custom(response.status()));
        response.headers().forEach(builder::header);
        if (response.body().length > 0) {
            builder.body(response.body());
        }
        return builder.build();
    }

    /** Liveness for load balancers and uptime checks; needs no key and touches nothing. */
    @FunctionName("health")
    public HttpResponseMessage health(
            @HttpTrigger(name = "request", methods = {HttpMethod.GET}, authLevel = AuthorizationLevel.ANONYMOUS,
                    route = "health") HttpRequestMessage<Optional<String>> request) {
        return request.createResponseBuilder(HttpStatus.OK)
                .header("Content-Type", "application/json")
                .body("{\"status\":\"ok\"}")
                .build();
    }
}
