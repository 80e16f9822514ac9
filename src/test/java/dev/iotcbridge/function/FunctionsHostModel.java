package dev.iotcbridge.function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import com.microsoft.azure.functions.HttpStatusType;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * A model of how the Azure Functions host and Microsoft's Java worker deliver an HTTP request to a Java function, and
 * what they answer, written from their public source (docs/azure-protocol.md section 5 has each fact and its source):
 *
 * <ul>
 *   <li>the host sends the body only when Content-Length is above 0; as bytes for {@code application/octet-stream} and
 *       {@code multipart/*}, otherwise as a string it decoded as UTF-8 (invalid bytes become U+FFFD; a byte order mark
 *       picks the encoding and is dropped), because the Java worker declares {@code RpcHttpBodyOnly} and not
 *       {@code RawHttpBodyBytes};</li>
 *   <li>the URL is rebuilt from the decoded path and the raw query; headers come with lower-case names, a repeated
 *       header's values joined with a comma; the query map drops empty values and joins repeated ones;</li>
 *   <li>the binding data (what {@code @BindingName} reads) holds the top-level fields of a JSON body, then the query
 *       parameters but {@code code} (which override them), then the route values that have a value (which override
 *       both): an absent catch-all is simply not there;</li>
 *   <li>the worker binds {@code HttpRequestMessage<Optional<T>>} by converting the body to T (a string to a byte
 *       array fails), binds each {@code @BindingName} parameter from the binding data (a missing one fails), and a
 *       failed invocation is answered 500 with an empty body.</li>
 * </ul>
 *
 * It invokes the function reflectively, from its annotations, as the worker does, so it judges whichever signature
 * the adapter has.
 */
final class FunctionsHostModel {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** An HTTP request as a caller sends it. */
    record Call(String method, String target, List<Map.Entry<String, String>> headers, byte[] body) {
        @Override
        public String toString() {
            return method + " " + target + " " + headers + " (" + body.length + " bytes)";
        }
    }

    /** What the host answers. */
    record Answer(int status, Map<String, String> headers, byte[] body) {
    }

    private final Object function;
    private final Method method;
    private final HttpTrigger trigger;

    FunctionsHostModel(Object function, String functionName) {
        this.function = function;
        this.method = Arrays.stream(function.getClass().getMethods())
                .filter(m -> m.isAnnotationPresent(FunctionName.class) && m.getAnnotation(FunctionName.class).value().equals(functionName))
                .findFirst().orElseThrow();
        this.trigger = Arrays.stream(method.getParameters()).map(p -> p.getAnnotation(HttpTrigger.class))
                .filter(a -> a != null).findFirst().orElseThrow();
    }

    Answer invoke(Call call, ExecutionContext context) {
        String target = call.target();
        int q = target.indexOf('?');
        String rawPath = q < 0 ? target : target.substring(0, q);
        String rawQuery = q < 0 ? "" : target.substring(q);
        // the path as ASP.NET Core holds it (decoded once), written back in URI form; the query as sent
        String url = "https://app.azurewebsites.net" + toUriComponent(kestrelPath(rawPath)) + rawQuery;

        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : call.headers()) {
            headers.merge(h.getKey().toLowerCase(Locale.ROOT), h.getValue(), (a, b) -> a + "," + b);
        }
        Map<String, List<String>> queryValues = queryValues(rawQuery.isEmpty() ? "" : rawQuery.substring(1));
        Map<String, String> query = new LinkedHashMap<>();
        queryValues.forEach((k, v) -> {
            String joined = String.join(",", v);
            if (!joined.isEmpty()) {
                query.put(k, joined);
            }
        });
        Map<String, String> routeValues = routeValues(rawPath);

        Object body = null; // null: the host sends no body
        String contentType = headers.get("content-type");
        if (call.body().length > 0) {
            String media = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
            body = media.equals("application/octet-stream") || media.startsWith("multipart/")
                    ? call.body().clone() : readAsUtf8String(call.body());
        }

        Map<String, String> bindingData = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        if (call.body().length > 0) {
            jsonBodyFields(readAsUtf8String(call.body()), bindingData);
        }
        queryValues.forEach((k, v) -> {
            if (!k.equalsIgnoreCase("code")) {
                bindingData.put(k, v.get(v.size() - 1));
            }
        });
        bindingData.putAll(routeValues);

        HostRequest request = new HostRequest(url, call.method(), headers, query, body);
        Object[] args = new Object[method.getParameterCount()];
        try {
            for (int i = 0; i < args.length; i++) {
                args[i] = bind(method.getParameters()[i], request, bindingData, context);
            }
        } catch (BindingFailure e) {
            return new Answer(500, Map.of(), new byte[0]);
        }
        try {
            HttpResponseMessage response = (HttpResponseMessage) method.invoke(function, args);
            return answer(response);
        } catch (InvocationTargetException | IllegalAccessException e) {
            return new Answer(500, Map.of(), new byte[0]);
        }
    }

    private Object bind(Parameter p, HostRequest request, Map<String, String> bindingData, ExecutionContext context) {
        if (p.getType() == ExecutionContext.class) {
            return context;
        }
        if (p.isAnnotationPresent(HttpTrigger.class)) {
            Type bodyType = Object.class;
            if (p.getParameterizedType() instanceof ParameterizedType pt) {
                bodyType = pt.getActualTypeArguments()[0];
            }
            return request.withBody(convertBody(request.rawBody, bodyType));
        }
        BindingName name = p.getAnnotation(BindingName.class);
        if (name != null) {
            String value = bindingData.get(name.value());
            if (value == null) {
                if (p.getType() == Optional.class && !(p.getParameterizedType() instanceof ParameterizedType)) {
                    return Optional.empty();
                }
                throw new BindingFailure("Cannot find matched @BindingName of customer function: " + name.value());
            }
            return value;
        }
        throw new BindingFailure("a parameter the model does not know: " + p);
    }

    /** The worker's conversion of the body's typed data to the declared body type. */
    private static Object convertBody(Object body, Type declared) {
        boolean optional = declared instanceof ParameterizedType pt && pt.getRawType() == Optional.class;
        Type inner = optional ? ((ParameterizedType) declared).getActualTypeArguments()[0] : declared;
        Object value;
        if (body == null) {
            value = null;
        } else if (body instanceof String s) {
            if (inner == String.class || inner == Object.class) {
                value = s;
            } else {
                // a string body is read as JSON into the declared type; a byte array is no JSON document
                throw new BindingFailure("ClassCastException: RpcHttpRequestDataSource to " + declared);
            }
        } else {
            byte[] bytes = (byte[]) body;
            value = inner == String.class ? new String(bytes, Charset.defaultCharset()) : bytes.clone();
        }
        return optional ? Optional.ofNullable(value) : value;
    }

    private static Answer answer(HttpResponseMessage response) {
        Object body = response.getBody();
        byte[] bytes = body == null ? new byte[0]
                : body instanceof byte[] b ? b : body.toString().getBytes(StandardCharsets.UTF_8);
        return new Answer(response.getStatusCode(), ((ModelResponse) response).headers, bytes);
    }

    /** The StreamReader the host reads a body with: UTF-8 unless a byte order mark says otherwise, the mark dropped. */
    static String readAsUtf8String(byte[] body) {
        Charset charset = StandardCharsets.UTF_8;
        int skip = 0;
        if (body.length >= 3 && (body[0] & 0xFF) == 0xEF && (body[1] & 0xFF) == 0xBB && (body[2] & 0xFF) == 0xBF) {
            skip = 3;
        } else if (body.length >= 2 && (body[0] & 0xFF) == 0xFE && (body[1] & 0xFF) == 0xFF) {
            charset = StandardCharsets.UTF_16BE;
            skip = 2;
        } else if (body.length >= 2 && (body[0] & 0xFF) == 0xFF && (body[1] & 0xFF) == 0xFE) {
            charset = StandardCharsets.UTF_16LE;
            skip = 2;
        }
        // the JDK's decoder, like .NET's, puts U+FFFD where bytes are not of the charset
        return charset.decode(ByteBuffer.wrap(body, skip, body.length - skip)).toString();
    }

    private static void jsonBodyFields(String body, Map<String, String> bindingData) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node != null && node.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    if (!f.getValue().isArray() && !f.getValue().isNull()) {
                        bindingData.put(f.getKey(), f.getValue().isTextual() ? f.getValue().asText() : f.getValue().toString());
                    }
                }
            }
        } catch (Exception notJson) {
            // not an error: a body that is not JSON adds no binding data
        }
    }

    private static Map<String, List<String>> queryValues(String raw) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            values.computeIfAbsent(k, x -> new java.util.ArrayList<>()).add(v);
        }
        return values;
    }

    /** The values of the trigger's route template ({route}/{*path}) under the "api" prefix; absent when empty. */
    private Map<String, String> routeValues(String rawPath) {
        Map<String, String> values = new LinkedHashMap<>();
        String decoded = kestrelPath(rawPath);
        String rest = decoded.startsWith("/api/") ? decoded.substring(5) : decoded;
        String[] template = trigger.route().split("/", 2);
        int slash = rest.indexOf('/');
        values.put(name(template[0]), slash < 0 ? rest : rest.substring(0, slash));
        if (template.length > 1 && slash >= 0 && slash + 1 < rest.length()) {
            values.put(name(template[1]), rest.substring(slash + 1));
        }
        return values;
    }

    /** The path as Kestrel hands it to the host: percent-escapes decoded as UTF-8, except %2F, which stays as sent. */
    static String kestrelPath(String rawPath) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < rawPath.length(); i++) {
            char c = rawPath.charAt(i);
            if (c == '%' && i + 2 < rawPath.length() && hex(rawPath.charAt(i + 1)) && hex(rawPath.charAt(i + 2))
                    && !rawPath.substring(i + 1, i + 3).equalsIgnoreCase("2F")) {
                out.write(Integer.parseInt(rawPath.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return readAsUtf8String(out.toByteArray());
    }

    /** ASP.NET Core's PathString.ToUriComponent: what is not a path character is escaped; a valid %XX is kept. */
    static String toUriComponent(String path) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~!$&'()*+,;=:@/".indexOf(c) >= 0
                    || (c == '%' && i + 2 < path.length() && hex(path.charAt(i + 1)) && hex(path.charAt(i + 2)))) {
                b.append(c);
            } else {
                int end = Character.isHighSurrogate(c) && i + 1 < path.length() ? i + 2 : i + 1;
                for (byte x : path.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
                    b.append('%').append(String.format("%02X", x & 0xFF));
                }
                i = end - 1;
            }
        }
        return b.toString();
    }

    private static boolean hex(char c) {
        return Character.digit(c, 16) >= 0;
    }

    private static String name(String templatePart) {
        return templatePart.replace("{", "").replace("}", "").replace("*", "");
    }

    private static final class BindingFailure extends RuntimeException {
        BindingFailure(String message) {
            super(message);
        }
    }

    /** The worker's request object: the URL, method, headers and query map the host sent, and the converted body. */
    private static final class HostRequest implements HttpRequestMessage<Object> {
        private final String url;
        private final String method;
        private final Map<String, String> headers;
        private final Map<String, String> query;
        private final Object rawBody;
        private Object body;

        HostRequest(String url, String method, Map<String, String> headers, Map<String, String> query, Object rawBody) {
            this.url = url;
            this.method = method;
            this.headers = headers;
            this.query = query;
            this.rawBody = rawBody;
        }

        HostRequest withBody(Object converted) {
            HostRequest r = new HostRequest(url, method, headers, query, rawBody);
            r.body = converted;
            return r;
        }

        @Override
        public URI getUri() {
            return URI.create(url);
        }

        @Override
        public HttpMethod getHttpMethod() {
            return HttpMethod.value(method);
        }

        @Override
        public Map<String, String> getHeaders() {
            return headers;
        }

        @Override
        public Map<String, String> getQueryParameters() {
            return query;
        }

        @Override
        public Object getBody() {
            return body;
        }

        @Override
        public HttpResponseMessage.Builder createResponseBuilder(HttpStatus status) {
            return new ModelResponse(status);
        }

        @Override
        public HttpResponseMessage.Builder createResponseBuilder(HttpStatusType status) {
            return new ModelResponse(status);
        }
    }

    private static final class ModelResponse implements HttpResponseMessage.Builder, HttpResponseMessage {
        private HttpStatusType status;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private Object body;

        ModelResponse(HttpStatusType status) {
            this.status = status;
        }

        public HttpResponseMessage.Builder status(HttpStatusType s) { this.status = s; return this; }
        public HttpResponseMessage.Builder header(String k, String v) { headers.put(k, v); return this; }
        public HttpResponseMessage.Builder body(Object b) { this.body = b; return this; }
        public HttpResponseMessage build() { return this; }
        public HttpStatusType getStatus() { return status; }
        public int getStatusCode() { return status.value(); }
        public String getHeader(String k) { return headers.get(k); }
        public Object getBody() { return body; }
    }

    /** An execution context whose logger is the given one. */
    static ExecutionContext context(Logger logger) {
        return new ExecutionContext() {
            @Override
            public Logger getLogger() {
                return logger;
            }

            @Override
            public String getInvocationId() {
                return "model-invocation";
            }

            @Override
            public String getFunctionName() {
                return "webhook";
            }
        };
    }
}
