package dev.offramp.server.serve;

/**
 * What the serving side refuses or stops, in its own terms: a request the model cannot take, a full engine, a job
 * cancelled. It knows no protocol; the one error mapping (the transport's {@code Errors}) gives each reason its HTTP
 * status.
 */
public final class ServingException extends RuntimeException {
    /** Why: each maps to one status and error type. */
    public enum Reason {
        /** The request does not fit the model (400; {@code param} names the field). */
        INVALID,
        /** It names a model this server does not serve (404). */
        NOT_FOUND,
        /** The running batch and the waiting line are both full (429, retry). */
        OVERLOADED,
        /** It waited in the queue longer than allowed (503, retry). */
        QUEUE_TIMEOUT,
        /** The model failed to load or its engine stopped (503). */
        UNAVAILABLE,
        /** The server is draining or closing (503). */
        SHUTTING_DOWN,
        /** The client left or stopped reading ({@code code} says which). */
        CANCELLED
    }

    private final Reason reason;
    private final String param;
    private final String code;

    private ServingException(Reason reason, String param, String code, String message) {
        super(message);
        this.reason = reason;
        this.param = param;
        this.code = code;
    }

    public static ServingException invalid(String param, String message) {
        return new ServingException(Reason.INVALID, param, null, message);
    }

    static ServingException notFound(String param, String code, String message) {
        return new ServingException(Reason.NOT_FOUND, param, code, message);
    }

    static ServingException overloaded(int maxRunning, int maxWaiting) {
        return new ServingException(Reason.OVERLOADED, null, "overloaded", "server busy: " + maxRunning
                + " requests running and " + maxWaiting + " waiting; retry later");
    }

    static ServingException queueTimeout(long waitedMs) {
        return new ServingException(Reason.QUEUE_TIMEOUT, null, "queue_timeout", "server busy: waited " + waitedMs
                + " ms in the queue, longer than allowed; retry later");
    }

    static ServingException unavailable(String message) {
        return new ServingException(Reason.UNAVAILABLE, null, "model_unavailable", message);
    }

    static ServingException shuttingDown() {
        return new ServingException(Reason.SHUTTING_DOWN, null, "shutting_down", "the server is shutting down");
    }

    /** The engine stopped a generation because its client left or stopped reading ({@code why}). */
    static ServingException cancelled(String why) {
        return new ServingException(Reason.CANCELLED, null, why, "generation cancelled: " + why);
    }

    public Reason reason() {
        return reason;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }
}
