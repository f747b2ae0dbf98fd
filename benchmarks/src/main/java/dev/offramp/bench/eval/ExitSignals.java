package dev.offramp.bench.eval;

/**
 * Teacher forcing's maths on rows {@code [off, off + n)} of the row-major arrays {@code Step.exitLogitsAll} and
 * {@code Step.hidden} return, so nothing is copied. A policy's signals come from the engine's own
 * {@code SignalMath}, so both decide on the same numbers.
 */
final class ExitSignals {
    private ExitSignals() {}

    /** log softmax(row)[target], in nats. */
    static double logProb(float[] logits, int off, int vocab, int target) {
        double max = logits[off + argmax(logits, off, vocab)];
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[off + i] - max);
        }
        return logits[off + target] - max - Math.log(sum);
    }

    /** Index of the row's largest value; the first on ties, as the engine's greedy sampler. */
    static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[off + i] > x[off + best]) {
                best = i;
            }
        }
        return best;
    }

    /** cos(a, b) over the rows at {@code off}: CALM's hidden-state saturation, cos(h_l, h_{l-1}). */
    static float cosine(float[] a, float[] b, int off, int n) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = off; i < off + n; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return (float) (dot / Math.sqrt(na * nb));
    }
}
