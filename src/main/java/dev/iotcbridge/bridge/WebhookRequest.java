package dev.iotcbridge.bridge;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A webhook call as both adapters (the Azure Function and the local server) hand it to the handler.
 *
 * @param route   the first path segment after {@code /api/}: names the transform
 * @param path    the rest of the path after the route, without a leading '/' ("" when none)
 * <p>The maps and the body are the adapter's, handed over and not copied (one call's headers are copied once, from
 * the HTTP library's form into the map given here): an adapter builds them for this request and then leaves them
 * alone. They are seen read-only from here on.
 *
 * @param query   query parameters (last value wins), URL-decoded
 * @param headers request headers with lower-case names
 * @param body    the raw body, at most a few bytes over the configured limit (adapters stop reading there)
 */
public record WebhookRequest(String route, String path, Map<String, String> query, Map<String, String> headers, byte[] body) {

    public WebhookRequest {
        Objects.requireNonNull(route, "route");
        path = path == null ? "" : path;
        query = Collections.unmodifiableMap(query);
        headers = Collections.unmodifiableMap(headers);
        body = body == null ? new byte[0] : body;
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }
}
