package dev.offramp.bench.load;

import java.util.Arrays;
import java.util.List;

/**
 * One concurrency level's results. Latency percentiles are over the requests that completed; tokens per second over
 * every token received in the level's wall time.
 *
 * @param errors     failed requests other than 429s (another status, no response, a broken stream)
 * @param rejected   429s
 * @param firstError the first failure's message, for the operator; null when none
 */
record LevelStats(int streams, int requests, int errors, int rejected, long tokens, double wallSeconds,
                  Percentiles ttftMs, Percentiles itlMs, Percentiles latencyMs, String firstError) {

    static LevelStats of(int streams, List<RequestSample> samples, long wallNanos) {
        List<RequestSample> ok = samples.stream().filter(RequestSample::ok).toList();
        int rejected = (int) samples.stream().filter(RequestSample::rejected).count();
        String firstError = samples.stream().filter(s -> !s.ok()).map(s -> s.error() != null ? s.error()
                : "HTTP " + s.status()).findFirst().orElse(null);
        return new LevelStats(streams, samples.size(), samples.size() - ok.size() - rejected, rejected,
                samples.stream().mapToLong(RequestSample::tokens).sum(), wallNanos / 1e9,
                new Percentiles(ok.stream().mapToDouble(RequestSample::ttftMs).filter(t -> !Double.isNaN(t)).toArray()),
                new Percentiles(ok.stream().flatMapToDouble(s -> Arrays.stream(s.itlMs())).toArray()),
                new Percentiles(ok.stream().mapToDouble(RequestSample::latencyMs).toArray()), firstError);
    }

    double tokensPerSecond() {
        return wallSeconds > 0 ? tokens / wallSeconds : Double.NaN;
    }
}
