package dev.offramp.policy.calibrate;

import java.util.Arrays;
import java.util.Objects;

/**
 * Per-token uncertainty of one answer of a cascade's small member, what its deferral rule reads.
 *
 * @param logProbs  per generated token, the log-probability of the token it emitted: finite and ≤ 0
 * @param top1Probs per generated token, its top-1 softmax probability, in [0, 1]
 *                  <p>Both have the answer's length (0 for an empty answer). Float log-softmax can overshoot by a
 *                  rounding error, so values up to 1e-6 past a bound are accepted as they are.
 */
public record TokenUncertainty(double[] logProbs, double[] top1Probs) {
    private static final double SLACK = 1e-6;

    public TokenUncertainty {
        logProbs = Objects.requireNonNull(logProbs, "logProbs").clone();
        top1Probs = Objects.requireNonNull(top1Probs, "top1Probs").clone();
        if (logProbs.length != top1Probs.length) {
            throw new IllegalArgumentException("top1Probs expected the length of logProbs (" + logProbs.length
                    + "), found " + top1Probs.length);
        }
        for (int i = 0; i < logProbs.length; i++) {
            if (!(Double.isFinite(logProbs[i]) && logProbs[i] <= SLACK)) {
                throw new IllegalArgumentException("logProbs[" + i + "] expected finite and <= 0, found " + logProbs[i]);
            }
            if (!(top1Probs[i] >= 0 && top1Probs[i] <= 1 + SLACK)) {
                throw new IllegalArgumentException("top1Probs[" + i + "] expected in [0, 1], found " + top1Probs[i]);
            }
        }
    }

    /** The number of generated tokens. */
    public int length() {
        return logProbs.length;
    }

    /** Σ log p over the answer: its sequence log-probability, 0 for an empty answer. */
    public double sumLogProb() {
        double sum = 0;
        for (double lp : logProbs) {
            sum += lp;
        }
        return sum;
    }

    /** The mean per-token log-probability, 0 for an empty answer. */
    public double meanLogProb() {
        return logProbs.length == 0 ? 0 : sumLogProb() / logProbs.length;
    }

    /**
     * The q-quantile of the top-1 probabilities, interpolated linearly between order statistics (Hyndman–Fan type 7,
     * numpy's default); 1 for an empty answer, which carries no sign of doubt.
     */
    public double top1Quantile(double q) {
        return top1Quantiles(new double[] {q})[0];
    }

    /** {@link #top1Quantile} at several levels, sorting once. */
    public double[] top1Quantiles(double[] qs) {
        double[] sorted = top1Probs.clone();
        Arrays.sort(sorted);
        double[] out = new double[qs.length];
        for (int i = 0; i < qs.length; i++) {
            double q = qs[i];
            if (!(q >= 0 && q <= 1)) {
                throw new IllegalArgumentException("quantile level expected in [0, 1], found " + q);
            }
            if (sorted.length == 0) {
                out[i] = 1;
                continue;
            }
            double h = (sorted.length - 1) * q;
            int lo = (int) Math.floor(h);
            int hi = Math.min(lo + 1, sorted.length - 1);
            out[i] = sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
        }
        return out;
    }

    @Override
    public double[] logProbs() {
        return logProbs.clone();
    }

    @Override
    public double[] top1Probs() {
        return top1Probs.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenUncertainty t && Arrays.equals(t.logProbs, logProbs)
                && Arrays.equals(t.top1Probs, top1Probs);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(logProbs) + Arrays.hashCode(top1Probs);
    }

    @Override
    public String toString() {
        return "TokenUncertainty[logProbs=" + Arrays.toString(logProbs) + ", top1Probs=" + Arrays.toString(top1Probs)
                + "]";
    }
}
