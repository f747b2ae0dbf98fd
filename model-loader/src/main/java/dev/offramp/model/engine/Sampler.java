package dev.offramp.model.engine;

import java.util.random.RandomGenerator;

/**
 * Picks the next token from logits: argmax at temperature 0, else a draw from softmax(logits / T) restricted to the
 * top-k tokens and then to the nucleus (the most probable tokens whose mass reaches top-p), renormalised.
 */
public final class Sampler {
    private final float temperature;
    private final float topP;
    private final int topK;
    private final RandomGenerator random;

    public Sampler(float temperature, RandomGenerator random) {
        this(temperature, 1f, 0, random);
    }

    public Sampler(float temperature, float topP, int topK, RandomGenerator random) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature: expected a finite value >= 0, found " + temperature);
        }
        this.temperature = temperature;
        this.topP = topP;
        this.topK = topK;
        this.random = random;
    }

    public boolean greedy() {
        return temperature == 0f;
    }

    public int sample(float[] logits) {
        return greedy() ? argmax(logits) : draw(probabilities(logits));
    }

    /** softmax(logits / T), truncated by top-k and top-p and renormalised; only for T > 0. */
    public double[] probabilities(float[] logits) {
        double[] p = softmax(logits);
        return topK > 0 && topK < p.length || topP < 1f ? truncate(p) : p;
    }

    private double[] softmax(float[] logits) {
        double max = logits[argmax(logits)];
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Keeps the top-k tokens, then the smallest prefix of them whose mass reaches top-p; zeroes the rest. */
    private double[] truncate(double[] p) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> a.equals(b) ? 0 : p[a] != p[b] ? Double.compare(p[b], p[a]) : a - b);
        int keep = topK > 0 ? Math.min(topK, p.length) : p.length;
        double kept = 0;
        for (int i = 0; i < keep; i++) {
            kept += p[order[i]];
        }
        double mass = 0;
        double[] q = new double[p.length];
        for (int i = 0; i < keep; i++) {
            int id = order[i];
            q[id] = p[id];
            mass += p[id];
            if (mass >= topP * kept) {
                break;  // the nucleus of what top-k kept
            }
        }
        double sum = 0;
        for (double v : q) {
            sum += v;
        }
        for (int i = 0; i < q.length; i++) {
            q[i] /= sum;
        }
        return q;
    }

    /** A draw from a distribution whose entries sum to {@code total}. */
    public int draw(double[] p) {
        double total = 0;
        for (double v : p) {
            total += v;
        }
        double u = random.nextDouble() * total;
        int last = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                last = i;
                u -= p[i];
                if (u < 0) {
                    return i;
                }
            }
        }
        return last;  // rounding left u >= 0: the draw belongs to the last token with mass
    }

    /** Uniform in [0, 1), for speculative acceptance tests. */
    double uniform() {
        return random.nextDouble();
    }

    /** Index of the largest value; the first one on ties, as torch.argmax. */
    public static int argmax(float[] x) {
        return SignalMath.argmax(x, 0, x.length);
    }
}
