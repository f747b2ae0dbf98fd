package dev.offramp.bench.load;

import org.HdrHistogram.Histogram;

/**
 * Latency percentiles by HdrHistogram: values recorded in whole microseconds at 3 significant digits. The p-th
 * percentile is nearest-rank (the smallest recorded value with at least p% of the sample at or below it, so always a
 * measured value, never an interpolation between two requests that never happened), reported as the highest value
 * HdrHistogram holds as equivalent to it: at most 0.1% above it, exact below 2.048 ms.
 */
final class Percentiles {
    private static final int SIGNIFICANT_DIGITS = 3;
    private final Histogram micros = new Histogram(SIGNIFICANT_DIGITS); // auto-resizing: any latency fits

    /** {@code valuesMs}: milliseconds, each ≥ 0. */
    Percentiles(double[] valuesMs) {
        for (double ms : valuesMs) {
            if (!(ms >= 0)) {
                throw new IllegalArgumentException("latency: expected a value >= 0 ms, found " + ms);
            }
            micros.recordValue(Math.round(ms * 1000));
        }
    }

    int count() {
        return Math.toIntExact(micros.getTotalCount());
    }

    /** The p-th percentile in milliseconds for p in (0, 100]; NaN for an empty sample. */
    double at(double p) {
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile: expected p in (0, 100], found " + p);
        }
        return count() == 0 ? Double.NaN : micros.getValueAtPercentile(p) / 1000.0;
    }
}
