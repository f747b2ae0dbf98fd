package dev.offramp.bench.load;

/**
 * One streamed request as the client saw it.
 *
 * @param status    the HTTP status; 0 when no response came (refused, reset, timed out)
 * @param error     null for a complete stream; otherwise what went wrong, for the operator
 * @param tokens    generated tokens: the server's {@code usage.completion_tokens} when it reports one, else the number
 *                  of chunks that carried text
 * @param ttftMs    request sent to the first chunk with text; NaN when none came
 * @param itlMs     the gaps between consecutive chunks with text
 * @param latencyMs request sent to the end of the response
 */
record RequestSample(int status, String error, int tokens, double ttftMs, double[] itlMs, double latencyMs) {
    RequestSample {
        if (status < 0 || tokens < 0 || latencyMs < 0) {
            throw new IllegalArgumentException("request sample: expected status, tokens and latency >= 0, found "
                    + status + ", " + tokens + ", " + latencyMs);
        }
        itlMs = itlMs.clone();
    }

    static RequestSample failed(int status, String error, double latencyMs) {
        return new RequestSample(status, error, 0, Double.NaN, new double[0], latencyMs);
    }

    boolean ok() {
        return status == 200 && error == null;
    }

    /** Turned away by admission control: counted apart from errors, since it is the server working as designed. */
    boolean rejected() {
        return status == 429;
    }
}
