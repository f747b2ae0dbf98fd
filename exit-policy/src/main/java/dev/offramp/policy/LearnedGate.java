package dev.offramp.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CALM's learned exit classifier (Schuster et al. 2022, "Confident Adaptive Language Modeling", Section 3.2: a
 * meta-classifier on the hidden state's signals predicting that the exit's token equals the full model's), here one
 * logistic regression per checked layer over the signals {@link #features} computes. Trained by
 * {@code ./offramp train-gate} on teacher-forced text; {@code learned:gate=FILE,threshold=T} exits where its
 * probability is at least T.
 *
 * <p>The file is plain text (this module reads no JSON): {@code offramp-gate 1}, {@code prune K} (the pruning the
 * signals of later checks were trained with), then per layer {@code layer L bias w1..wF mean1..meanF scale1..scaleF}
 * over the {@link #FEATURES} in order.
 */
public record LearnedGate(int prune, Map<Integer, Layer> layers) {
    /** The features, in file order. */
    public static final List<String> FEATURES = List.of("top1", "margin", "entropy", "cosine", "agrees_previous",
            "agreeing_fraction", "log_position");

    /** One layer's classifier over standardised features: σ(bias + Σ w_i (x_i − mean_i) / scale_i). */
    public record Layer(double bias, double[] weights, double[] mean, double[] scale) {
        public Layer {
            int f = FEATURES.size();
            if (weights.length != f || mean.length != f || scale.length != f) {
                throw new IllegalArgumentException("gate layer: expected " + f + " weights, means and scales, found "
                        + weights.length + ", " + mean.length + " and " + scale.length);
            }
            for (double s : scale) {
                if (!(s > 0) || Double.isInfinite(s)) {
                    throw new IllegalArgumentException("gate layer: expected scales > 0, found " + s);
                }
            }
            weights = weights.clone();
            mean = mean.clone();
            scale = scale.clone();
        }

        public double probability(double[] x) {
            double z = bias;
            for (int i = 0; i < x.length; i++) {
                z += weights[i] * (x[i] - mean[i]) / scale[i];
            }
            return 1 / (1 + Math.exp(-z));
        }
    }

    public LearnedGate {
        if (prune < 0) {
            throw new IllegalArgumentException("gate: prune expected >= 0, found " + prune);
        }
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("gate: expected at least one layer, found none");
        }
        layers = Map.copyOf(layers);
    }

    /**
     * The features of the token's current check: its top-1 probability, margin, entropy, cosine to the previous
     * layer, whether the previous check's argmax is the same (0 at a token's first check), the fraction of its earlier
     * checks that agree with the current argmax, and log(1 + position).
     */
    public static double[] features(TokenState token) {
        LayerSignals s = token.current();
        List<LayerSignals> h = token.history();
        int earlier = h.size() - 1;
        int agreeing = 0;
        for (int i = 0; i < earlier; i++) {
            agreeing += h.get(i).argmax() == s.argmax() ? 1 : 0;
        }
        boolean previous = earlier > 0 && h.get(earlier - 1).argmax() == s.argmax();
        return new double[] {s.top1Prob(), s.margin(), s.entropy(), Float.isNaN(s.cosine()) ? 0 : s.cosine(),
                previous ? 1 : 0, earlier == 0 ? 0 : (double) agreeing / earlier, Math.log1p(token.position())};
    }

    /** The probability that the current layer's argmax is the full model's; 0 at a layer the gate has no model for. */
    public double probability(TokenState token) {
        Layer l = layers.get(token.current().layer());
        return l == null ? 0 : l.probability(features(token));
    }

    public static LearnedGate read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("learned: gate " + file + ": cannot read it (" + e.getClass()
                    .getSimpleName() + ")", e);
        }
        return parse(lines, file.toString());
    }

    static LearnedGate parse(List<String> lines, String name) {
        if (lines.isEmpty() || !lines.get(0).strip().equals("offramp-gate 1")) {
            throw new IllegalArgumentException("learned: gate " + name + ": expected a first line 'offramp-gate 1'");
        }
        int prune = -1;
        Map<Integer, Layer> layers = new LinkedHashMap<>();
        int f = FEATURES.size();
        for (int n = 1; n < lines.size(); n++) {
            String[] w = lines.get(n).strip().split("\\s+");
            if (w[0].startsWith("#")) {
                continue;
            }
            try {
                if (w.length == 2 && w[0].equals("prune")) {
                    prune = Integer.parseInt(w[1]);
                } else if (w.length == 3 + 3 * f && w[0].equals("layer")) {
                    double[] v = new double[3 * f + 1];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = Double.parseDouble(w[2 + i]);
                    }
                    double[][] parts = {java.util.Arrays.copyOfRange(v, 1, 1 + f),
                        java.util.Arrays.copyOfRange(v, 1 + f, 1 + 2 * f), java.util.Arrays.copyOfRange(v, 1 + 2 * f,
                        1 + 3 * f)};
                    if (layers.put(Integer.parseInt(w[1]), new Layer(v[0], parts[0], parts[1], parts[2])) != null) {
                        throw new IllegalArgumentException("layer " + w[1] + " twice");
                    }
                } else if (!(w.length == 1 && w[0].isEmpty())) {
                    throw new IllegalArgumentException("expected 'prune K' or 'layer L' and " + (1 + 3 * f)
                            + " numbers, found " + w.length + " words");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("learned: gate " + name + " line " + (n + 1) + ": " + e.getMessage(),
                        e);
            }
        }
        if (prune < 0) {
            throw new IllegalArgumentException("learned: gate " + name + ": expected a line 'prune K', found none");
        }
        return new LearnedGate(prune, layers);
    }

    /** The file's text: what {@link #parse} reads. */
    public String text() {
        StringBuilder sb = new StringBuilder("offramp-gate 1\n").append("# features: ")
                .append(String.join(" ", FEATURES)).append('\n').append("prune ").append(prune).append('\n');
        new java.util.TreeMap<>(layers).forEach((l, c) -> {
            sb.append("layer ").append(l).append(' ').append(num(c.bias()));
            for (double[] part : new double[][] {c.weights(), c.mean(), c.scale()}) {
                for (double v : part) {
                    sb.append(' ').append(num(v));
                }
            }
            sb.append('\n');
        });
        return sb.toString();
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.9g", v);
    }

    /** The layers it has a classifier for, ascending. */
    public int[] layerNumbers() {
        return layers.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    static List<String> lines(String text) {
        return List.of(text.split("\n", -1));
    }
}
