package dev.offramp.bench.eval;

import dev.offramp.policy.LayerSignals;
import dev.offramp.policy.Signal;
import java.util.Set;

/**
 * The benchmarks' one copy of the softmax maths: a policy's signals and a target's log-probability from one row of
 * an exit's logits (softmax at temperature 1, as the engine computes them). Rows are slices {@code [off, off + n)}
 * of the row-major arrays {@code Step.exitLogitsAll} and {@code Step.hidden} return, so nothing is copied.
 */
final class ExitSignals {
    private ExitSignals() {}

    /** What the engine hands a policy after {@code layer}: NaN (argmax -1) where the logits were not computed. */
    static LayerSignals of(int layer, float[] logits, int off, int vocab, Set<Signal> needs, float cosine) {
        if (logits == null) {
            return new LayerSignals(layer, Float.NaN, Float.NaN, Float.NaN, -1, cosine);
        }
        int top = argmax(logits, off, vocab);
        double max = logits[off + top];
        double sum = 0;
        double weighted = 0;  // sum of e^(x - max) * (x - max), for the entropy
        float second = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            double d = logits[off + i] - max;
            double e = Math.exp(d);
            sum += e;
            weighted += e * d;
            if (i != top && logits[off + i] > second) {
                second = logits[off + i];
            }
        }
        float p1 = (float) (1.0 / sum);
        float p2 = (float) (Math.exp(second - max) / sum);
        // H = -sum p log p = log Z - E[x - max], with Z = sum e^(x - max)
        float entropy = (float) (Math.log(sum) - weighted / sum);
        return new LayerSignals(layer, p1, p1 - p2, needs.contains(Signal.ENTROPY) ? entropy : Float.NaN, top, cosine);
    }

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
