package dev.iotcbridge.function;

import com.microsoft.azure.functions.HttpRequestMessage;
import dev.iotcbridge.bridge.WebhookRequest;
import dev.iotcbridge.bridge.WebhookUrl;
import dev.iotcbridge.error.BadInputException;
import java.io.ByteArrayOutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The Functions host's request as the handler's {@link WebhookRequest}, read so that it means what the same call means
 * to the local server (docs/azure-protocol.md section 5 has the host's behaviour and its sources):
 *
 * <ul>
 *   <li>route, path and query from the URL the host passes on, through the local server's own decoder
 *       ({@link WebhookUrl}); never from the binding data, where a query parameter or a JSON body field of the caller's
 *       can stand in for an absent {@code {*path}};</li>
 *   <li>the body: the host decoded a JSON or form body as UTF-8 into a string, which goes back to the same bytes; where
 *       it found bytes that were not UTF-8 it put U+FFFD, and an undecodable byte goes back in its place so that the
 *       handler refuses the body as it refuses the original bytes;</li>
 *   <li>headers with lower-case names, without those the platform adds to carry a caller's identity or tokens.</li>
 * </ul>
 */
final class HostRequest {

    /** App Service authentication's headers: the signed-in caller and its tokens; a transform never sees them. */
    private static final String[] PLATFORM_SECRET_PREFIXES = {"x-ms-token-", "x-ms-client-principal"};
    private static final byte NOT_UTF8 = (byte) 0xFF;

    private HostRequest() {
    }

    static WebhookRequest read(HttpRequestMessage<Optional<String>> request) {
        WebhookUrl url = WebhookUrl.of(rawUrl(request));
        WebhookUrl.Target target = url.target().orElseThrow(() -> new BadInputException(404,
                "not found: webhooks are posted to /api/{route} (host.json's routePrefix must stay \"api\")"));
        Map<String, String> headers = new HashMap<>();
        Map<String, String> sent = request.getHeaders();
        if (sent != null) {
            sent.forEach((name, value) -> {
                String lower = name.toLowerCase(Locale.ROOT);
                if (!isPlatformSecret(lower)) {
                    headers.put(lower, value);
                }
            });
        }
        Optional<String> body = request.getBody();
        return new WebhookRequest(target.route(), target.path(), url.query(), headers,
                body == null || body.isEmpty() ? null : utf8(body.get()));
    }

    /**
     * The URL as the host sent it. The worker hands it over as a {@link java.net.URI}, which it builds with
     * {@code URI.create}: a query character that RFC 3986 wants escaped (a '|', a '{') makes that throw, and the
     * exception still carries the URL.
     */
    static String rawUrl(HttpRequestMessage<?> request) {
        try {
            return request.getUri().toString();
        } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof URISyntaxException syntax) {
                return syntax.getInput();
            }
            throw e;
        }
    }

    static byte[] utf8(String text) {
        if (text.indexOf('\uFFFD') < 0) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 16);
        int from = 0;
        for (int at = text.indexOf('\uFFFD'); at >= 0; at = text.indexOf('\uFFFD', from)) {
            out.writeBytes(text.substring(from, at).getBytes(StandardCharsets.UTF_8));
            out.write(NOT_UTF8);
            from = at + 1;
        }
        out.writeBytes(text.substring(from).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static boolean isPlatformSecret(String lowerCaseName) {
        for (String prefix : PLATFORM_SECRET_PREFIXES) {
            if (lowerCaseName.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
