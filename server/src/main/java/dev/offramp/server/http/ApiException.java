package dev.offramp.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;

/**
 * A request the HTTP layer refuses (its body, headers, route or key): the status and the OpenAI-style error fields.
 * What the serving side refuses is a {@link ServingException}.
 */
public final class ApiException extends RuntimeException {
    private final HttpResponseStatus status;
    private final String type;
    private final String param;
    private final String code;
    private final Map<String, String> headers;

    public ApiException(HttpResponseStatus status, String type, String param, String code, String message) {
        this(status, type, param, code, message, Map.of());
    }

    private ApiException(HttpResponseStatus status, String type, String param, String code, String message,
                         Map<String, String> headers) {
        super(message);
        this.headers = headers;
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400 invalid_request_error about one field (null when no single field is at fault). */
    public static ApiException invalid(String param, String message) {
        return new ApiException(HttpResponseStatus.BAD_REQUEST, "invalid_request_error", param, null, message);
    }

    public static ApiException notFound(String param, String code, String message) {
        return new ApiException(HttpResponseStatus.NOT_FOUND, "invalid_request_error", param, code, message);
    }

    /** 405; {@code allow} lists the path's methods for the Allow header. */
    public static ApiException methodNotAllowed(String allow, String message) {
        return new ApiException(HttpResponseStatus.METHOD_NOT_ALLOWED, "invalid_request_error", null,
                "method_not_allowed", message, Map.of("Allow", allow));
    }

    /** 401, as OpenAI answers it, with {@code WWW-Authenticate}; the key sent (if any) is never quoted. */
    static ApiException unauthorized(boolean sent) {
        return new ApiException(HttpResponseStatus.UNAUTHORIZED, "invalid_request_error", null, "invalid_api_key",
                sent ? "Incorrect API key provided: expected Authorization: Bearer with a key this server accepts"
                        : "You didn't provide an API key: expected Authorization: Bearer YOUR_KEY",
                Map.of("WWW-Authenticate", "Bearer"));
    }

    public static ApiException tooLarge(int limit) {
        return new ApiException(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "invalid_request_error", null,
                "body_too_large", "request body: expected at most " + limit + " bytes, found more");
    }

    /** Headers the response carries: Allow for a 405, Retry-After for a 429 or 503, WWW-Authenticate for a 401. */
    public Map<String, String> headers() {
        return headers;
    }

    public HttpResponseStatus status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }
}
