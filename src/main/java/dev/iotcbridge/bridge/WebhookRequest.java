package dev.iotcbridge.bridge;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A webhook call as both adapters (the Azure Function and the local server) hand it to the handler.
 *
 * @param route   the first path segment after {@code /api/}: names the transform
 * @param path    the rest of the path after the route, without a leading '/' ("" when none)
 * @param query   query parameters (last value wins), URL-decoded
 * @param headers request headers with lower-case names
 * @param body    the raw body, at most a few bytes over the configured limit (adapters stop reading there)
 */
public record WebhookRequest(String route, String path, Map<String, String> query, Map<String, String> headers, byte[] body) {

    public WebhookRequest {
        Objects.requireNonNull(route, "route");
        path = path == null ? "" : path;
        query = Map.copyOf(query);
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }
}
