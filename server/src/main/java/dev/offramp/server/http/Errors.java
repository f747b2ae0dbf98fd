package dev.offramp.server.http;

import dev.offramp.server.serve.Metrics;
import dev.offramp.server.serve.ServingException;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where a failure becomes an HTTP status and the {@code {"error":{…}}} body. */
public final class Errors {
    private static final Logger LOG = LoggerFactory.getLogger(Errors.class);
    /**
     * The longest message sent: messages quote what was wrong, and a request may send megabytes of it. The longest
     * written here (an unknown field with the list of known ones) stays well under this.
     */
    static final int MAX_MESSAGE = 400;

    /** The error body: {@code {"error":{"message","type","param","code"}}}. */
    public record Body(Detail error) {}

    public record Detail(String message, String type, String param, String code) {}

    /** A status, its body, and the headers it needs (Allow for a 405, Retry-After for a 429). */
    public record Mapped(HttpResponseStatus status, Body body, Map<String, String> headers) {}

    private Errors() {}

    /** @param requestId named in the log of an unexpected failure, the one place it is logged */
    public static Mapped map(Throwable failure, String requestId) {
        Throwable t = unwrap(failure);
        if (t instanceof ApiException e) {
            return new Mapped(e.status(), new Body(new Detail(shorten(e.getMessage()), e.type(), shorten(e.param()),
                    e.code())), e.headers());
        }
        if (t instanceof ServingException e) {
            return serving(e);
        }
        if (t instanceof IllegalArgumentException) {
            // The engine and the policy grammar say what was wrong in "expected X, found Y" form.
            return new Mapped(HttpResponseStatus.BAD_REQUEST,
                    new Body(new Detail(shorten(t.getMessage()), "invalid_request_error", null, null)), Map.of());
        }
        LOG.error("request {} failed", requestId, t);
        // The client learns that it failed, not the server's internals (no class names, no stack).
        return new Mapped(HttpResponseStatus.INTERNAL_SERVER_ERROR, new Body(new Detail(
                "internal error: the server could not complete this request (request id " + requestId + ")",
                "server_error", null, "internal_error")), Map.of());
    }

    /** The serving side's reasons as HTTP: 429 and 503s that say when to retry, 499 for a client that left. */
    private static Mapped serving(ServingException e) {
        HttpResponseStatus status = switch (e.reason()) {
            case INVALID -> HttpResponseStatus.BAD_REQUEST;
            case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case OVERLOADED -> HttpResponseStatus.TOO_MANY_REQUESTS;
            case QUEUE_TIMEOUT, UNAVAILABLE, SHUTTING_DOWN -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            case CANCELLED -> HttpResponseStatus.valueOf(Metrics.CANCELLED_STATUS, "Client Closed Request");
        };
        String type = switch (e.reason()) {
            case INVALID, NOT_FOUND -> "invalid_request_error";
            case OVERLOADED -> "rate_limit_error";
            default -> "server_error";
        };
        Map<String, String> headers = e.reason() == ServingException.Reason.OVERLOADED
                || e.reason() == ServingException.Reason.QUEUE_TIMEOUT ? Map.of("Retry-After", "1") : Map.of();
        return new Mapped(status, new Body(new Detail(shorten(e.getMessage()), type, shorten(e.param()), e.code())),
                headers);
    }

    private static String shorten(String s) {
        return s == null || s.length() <= MAX_MESSAGE ? s : s.substring(0, MAX_MESSAGE - 1) + "…";
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
