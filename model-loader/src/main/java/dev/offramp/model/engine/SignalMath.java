package dev.offramp.model.engine;

import dev.offramp.model.Kernel;
import dev.offramp.policy.LayerSignals;
import dev.offramp.policy.Signal;
import java.util.Set;

/**
 * Policy signals from an exit's logits (softmax at temperature 1, as the model was trained): the one copy, used by
 * the decoders and by the benchmarks' teacher forcing.
 */
public final class SignalMath {
    private SignalMath() {}

    /** Ids of the k largest logits, largest first (ties: lower id first). One pass with a sorted top-k buffer. */
    static int[] topK(float[] logits, int k) {
        int[] ids = new int[k];
        int n = 0;
        for (int i = 0; i < logits.length; i++) {
            if (n == k && logits[i] <= logits[ids[k - 1]]) {
                continue;
            }
            int at = n < k ? n++ : k - 1;  // a full buffer drops its smallest
            while (at > 0 && logits[ids[at - 1]] < logits[i]) {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = i;
        }
        return ids;
    }

    /**
     * The signals of the logits row {@code [off, off + n)} (teacher forcing reads rows of a [T, vocab] array in place);
     * NaN (argmax -1) when no logits were computed. {@code ids} maps logit indices to token ids for a pruned
     * vocabulary; null when the logits cover the vocabulary.
     */
    public static LayerSignals of(int layer, float[] logits, int off, int n, int[] ids, Set<Signal> needs,
                                  float cosine) {
        if (logits == null) {
            return new LayerSignals(layer, Float.NaN, Float.NaN, Float.NaN, -1, cosine);
        }
        int top = argmax(logits, off, n);
        float max = logits[off + top];
        float second = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            if (i != top && logits[off + i] > second) {
                second = logits[off + i];
            }
        }
        double[] sums = Kernel.VECTOR_API ? VectorSoftmax.sums(logits, off, n, max) : sums(logits, off, n, max);
        double sum = sums[0];
        double weighted = sums[1];  // sum of e^(x - max) * (x - max), for the entropy
        float p1 = (float) (1.0 / sum);
        float p2 = (float) (Math.exp(second - max) / sum);
        // H = -sum p log p = log Z - E[x - max], with Z = sum e^(x - max)
        float entropy = (float) (Math.log(sum) - weighted / sum);
        return new LayerSignals(layer, p1, p1 - p2, needs.contains(Signal.ENTROPY) ? entropy : Float.NaN,
                ids == null ? top : ids[top], cosine);
    }

    /** {Σ e^(x - max), Σ e^(x - max) (x - max)}: {@link VectorSoftmax#sums} without the Vector API. */
    private static double[] sums(float[] x, int off, int n, float max) {
        double sum = 0;
        double weighted = 0;
        for (int i = 0; i < n; i++) {
            double d = (double) x[off + i] - max;
            double e = Math.exp(d);
            sum += e;
            weighted += e * d;
        }
        return new double[] {sum, weighted};
    }

    static float top1(float[] logits) {
        return of(1, logits, 0, logits.length, null, Set.of(), Float.NaN).top1Prob();
    }

    /** Index (within the row) of the row's largest value; the first on ties, as torch.argmax and greedy sampling. */
    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[off + i] > x[off + best]) {
                best = i;
            }
        }
        return best;
    }

    /** log softmax(row)[target] of the logits row {@code [off, off + n)}, in nats. */
    public static double logProb(float[] logits, int off, int n, int target) {
        return logits[off + target] - logSumExp(logits, off, n);
    }

    /** log sum exp of the logits row {@code [off, off + n)}: log softmax(row)[i] = row[i] minus this. */
    public static double logSumExp(float[] logits, int off, int n) {
        double max = logits[off + argmax(logits, off, n)];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(logits[off + i] - max);
        }
        return max + Math.log(sum);
    }

    /** cos(a, b) over {@code [off, off + n)} of both: CALM's hidden-state saturation, cos(h_l, h_{l-1}). */
    public static float cosine(float[] a, float[] b, int off, int n) {
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
