package dev.iotcbridge.server;

import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.bridge.WebhookResponse;
import dev.iotcbridge.bridge.WebhookUrl;
import dev.iotcbridge.config.Secret;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a request asks for, decided from its head alone, before any of its body is read: the Functions host's URL
 * shape ({@code /api/{route}[/path]}), the function key, the method and the announced length. Knowing the answer
 * early is what lets the server refuse a body (413, 401...) without buffering it.
 */
final class RequestRouter {

    private static final byte[] HEALTHY = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);

    /** The outcome for one request head. */
    sealed interface Route permits Answer, Admin, Webhook {
    }

    /** Answered at once; the body, if any, is not wanted. */
    record Answer(WebhookResponse response) implements Route {
    }

    /** For the {@link LocalServer.AdminRoute} mounted under {@code /sim/}; the body is not wanted. */
    record Admin(String method, String path, Map<String, String> query) implements Route {
    }

    /** A webhook call: the handler's, once its body has arrived. */
    record Webhook(String route, String path, Map<String, String> query, Map<String, String> headers) implements Route {
        WebhookRequest withBody(byte[] body) {
            return new WebhookRequest(route, path, query, headers, body);
        }
    }

    private final Optional<Secret> functionKey;
    private final int maxBodyBytes;
    private final boolean admin;

    RequestRouter(Optional<Secret> functionKey, int maxBodyBytes, boolean admin) {
        this.functionKey = functionKey;
        this.maxBodyBytes = maxBodyBytes;
        this.admin = admin;
    }

    int maxBodyBytes() {
        return maxBodyBytes;
    }

    Route route(HttpRequest head) {
        // one reading of the URL for both adapters (bridge/WebhookUrl): the Function reads the host's URL the same way
        WebhookUrl url = WebhookUrl.of(head.uri());
        String rawPath = url.rawPath();
        Map<String, String> query = url.query();
        String method = head.method().name();
        if (rawPath.equals("/api/health")) {
            return new Answer(new WebhookResponse(200, Map.of("Content-Type", "application/json"), HEALTHY));
        }
        if (rawPath.startsWith("/sim/") && admin) {
            return new Admin(method, rawPath.substring("/sim/".length()), query);
        }
        Optional<WebhookUrl.Target> webhook = url.target();
        if (webhook.isEmpty()) {
            return error(404, "not found: webhooks are posted to /api/{route}");
        }
        Map<String, String> headers = headers(head.headers());
        if (functionKey.isPresent() && !functionKey.get().matches(query.getOrDefault("code", headers.get("x-functions-key")))) {
            return error(401, "missing or wrong function key: pass it as ?code=<key> or in the x-functions-key header");
        }
        if (!head.method().equals(HttpMethod.POST)) {
            WebhookResponse notAllowed = WebhookResponse.error(405, "webhooks are POSTed; " + method + " is not allowed");
            return new Answer(new WebhookResponse(405, Map.of("Allow", "POST", "Content-Type", "application/json; charset=utf-8"),
                    notAllowed.body()));
        }
        if (HttpUtil.getContentLength(head, -1L) > maxBodyBytes) {
            return error(413, tooLarge());
        }
        if (expectsSomethingElse(head)) {
            return error(417, "the only expectation understood is Expect: 100-continue");
        }
        return new Webhook(webhook.get().route(), webhook.get().path(), query, headers);
    }

    /** An Expect header other than 100-continue (which HTTP/1.0 does not have). */
    static boolean expectsSomethingElse(HttpRequest head) {
        String expect = head.headers().get(HttpHeaderNames.EXPECT);
        return expect != null && !head.protocolVersion().equals(HttpVersion.HTTP_1_0)
                && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect);
    }

    /**
     * The text with the function key, wherever it stands, replaced: the decoder's words quote what the client sent,
     * and a key sent in a header it could not read would come back in the 400 and whatever logs that answer.
     */
    String withoutKey(String text) {
        if (functionKey.isEmpty() || functionKey.get().reveal().isEmpty()) {
            return text;
        }
        return text.replace(functionKey.get().reveal(), "[function key]");
    }

    String tooLarge() {
        return "body is larger than the limit of " + maxBodyBytes + " bytes";
    }

    private static Answer error(int status, String message) {
        return new Answer(WebhookResponse.error(status, message));
    }

    /** Lower-case names; a header sent twice keeps its last value. */
    private static Map<String, String> headers(HttpHeaders raw) {
        Map<String, String> headers = new HashMap<>(raw.size() * 2);
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = raw.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> h = it.next();
            headers.put(h.getKey().toString().toLowerCase(Locale.ROOT), h.getValue().toString());
        }
        return headers;
    }
}
