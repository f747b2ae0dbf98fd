package dev.offramp.model.engine;

import java.util.random.RandomGenerator;

/** Picks the next token from logits: argmax at temperature 0, else a draw from softmax(logits / T). */
public final class Sampler {
    private final float temperature;
    private final RandomGenerator random;

    public Sampler(float temperature, RandomGenerator random) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature: expected a finite value >= 0, found " + temperature);
        }
        this.temperature = temperature;
        this.random = random;
    }

    public boolean greedy() {
        return temperature == 0f;
    }

    public int sample(float[] logits) {
        return greedy() ? argmax(logits) : draw(probabilities(logits));
    }

    /** softmax(logits / T); only for T > 0. */
    public double[] probabilities(float[] logits) {
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
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}
