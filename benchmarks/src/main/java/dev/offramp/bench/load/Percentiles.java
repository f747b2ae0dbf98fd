package dev.offramp.bench.load;

import java.util.Arrays;

/**
 * Nearest-rank percentiles of a fixed sample: the p-th percentile is the smallest value with at least p% of the sample
 * at or below it, always one of the measured values (no interpolation between two requests that never happened).
 */
final class Percentiles {
    private final double[] sorted;

    Percentiles(double[] values) {
        sorted = values.clone();
        Arrays.sort(sorted);
    }

    int count() {
        return sorted.length;
    }

    /** The p-th percentile for p in (0, 100]; NaN for an empty sample. */
    double at(double p) {
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile: expected p in (0, 100], found " + p);
        }
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p * sorted.length / 100.0);  // p·n first: 0.99·100 is not exactly 99
        return sorted[Math.max(rank, 1) - 1];
    }
}
