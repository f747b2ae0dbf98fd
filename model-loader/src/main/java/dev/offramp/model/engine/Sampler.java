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

    public int sample(float[] logits) {
        if (temperature == 0f) {
            return argmax(logits);
        }
        double max = logits[argmax(logits)];
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            sum += p[i];
        }
        double u = random.nextDouble() * sum;
        for (int i = 0; i < p.length; i++) {
            u -= p[i];
            if (u < 0) {
                return i;
            }
        }
        return argmax(logits);  // rounding left u >= 0: the mass is at the top
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
