package dev.offramp.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;

/** A request that cannot be served as asked: the status and the OpenAI-style error fields it maps to. */
public final class ApiException extends RuntimeException {
    private final HttpResponseStatus status;
    private final String type;
    private final String param;
    private final String code;
    private final String allow;

    public ApiException(HttpResponseStatus status, String type, String param, String code, String message) {
        this(status, type, param, code, message, null);
    }

    private ApiException(HttpResponseStatus status, String type, String param, String code, String message,
                         String allow) {
        super(message);
        this.allow = allow;
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
                "method_not_allowed", message, allow);
    }

    public static ApiException tooLarge(int limit) {
        return new ApiException(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "invalid_request_error", null,
                "body_too_large", "request body: expected at most " + limit + " bytes, found more");
    }

    /** The Allow header's value for a 405, else null. */
    public String allow() {
        return allow;
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
