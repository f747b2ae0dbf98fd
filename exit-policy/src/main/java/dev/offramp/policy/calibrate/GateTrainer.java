package dev.offramp.policy.calibrate;

import dev.offramp.policy.LearnedGate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fits a {@link LearnedGate}: per layer, a ridge-logistic regression ({@link Logistic}) of "this layer's argmax is
 * already the full model's" on the standardised {@link LearnedGate#FEATURES} of teacher-forced checks.
 */
public final class GateTrainer {
    private GateTrainer() {}

    /** One check of the trace: the layer, its features ({@link LearnedGate#features}) and the label. */
    public record Sample(int layer, double[] features, boolean agrees) {
        public Sample {
            if (features.length != LearnedGate.FEATURES.size()) {
                throw new IllegalArgumentException("sample: expected " + LearnedGate.FEATURES.size()
                        + " features, found " + features.length);
            }
            for (double f : features) {
                if (!Double.isFinite(f)) {
                    throw new IllegalArgumentException("sample: expected finite features, found " + f);
                }
            }
        }
    }

    /**
     * @param prune the pruning the later checks' signals were computed with (recorded in the gate)
     * @param l2    the ridge strength on standardised features, ≥ 0
     */
    public static LearnedGate train(List<Sample> samples, int prune, double l2) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("gate: expected samples to train on, found none");
        }
        Map<Integer, List<Sample>> byLayer = new TreeMap<>();
        for (Sample s : samples) {
            byLayer.computeIfAbsent(s.layer(), k -> new ArrayList<>()).add(s);
        }
        Map<Integer, LearnedGate.Layer> layers = new LinkedHashMap<>();
        byLayer.forEach((layer, rows) -> layers.put(layer, fit(rows, l2)));
        return new LearnedGate(prune, layers);
    }

    private static LearnedGate.Layer fit(List<Sample> rows, double l2) {
        int f = LearnedGate.FEATURES.size();
        int n = rows.size();
        double[] mean = new double[f];
        double[] scale = new double[f];
        for (Sample s : rows) {
            for (int i = 0; i < f; i++) {
                mean[i] += s.features()[i] / n;
            }
        }
        for (Sample s : rows) {
            for (int i = 0; i < f; i++) {
                double d = s.features()[i] - mean[i];
                scale[i] += d * d / n;
            }
        }
        for (int i = 0; i < f; i++) {
            scale[i] = scale[i] > 1e-24 ? Math.sqrt(scale[i]) : 1;  // a constant feature: weight stays ~0
        }
        double[][] x = new double[n][f];
        boolean[] y = new boolean[n];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < f; i++) {
                x[r][i] = (rows.get(r).features()[i] - mean[i]) / scale[i];
            }
            y[r] = rows.get(r).agrees();
        }
        double[] beta = Logistic.fit(x, y, l2);
        return new LearnedGate.Layer(beta[0], java.util.Arrays.copyOfRange(beta, 1, beta.length), mean, scale);
    }
}
