package dev.offramp.policy;

import java.util.Set;

/**
 * Exits once one signal of the current layer crosses a threshold. The four such policies differ only in the signal,
 * its range and the direction of the test, so they share this class; each factory cites its source.
 */
public final class ThresholdPolicy implements ExitPolicy {
    /** Which side of the threshold exits. */
    private interface Test {
        boolean exits(LayerSignals s, float threshold);
    }

    private final String name;
    private final float threshold;
    private final LayerSet layers;
    private final Schedule schedule;
    private final Test test;

    private ThresholdPolicy(String name, Signal signal, float threshold, boolean valid, String range, LayerSet layers,
                            Test test) {
        this.name = name;
        this.threshold = Specs.require(valid, name, "threshold", range, threshold);
        this.layers = Specs.layers(layers);
        this.schedule = new Schedule(Set.of(signal), layers);
        this.test = test;
    }

    /** Softmax response on the top-1 probability: Schuster et al. 2022, "Confident Adaptive Language Modeling" (CALM). */
    public static ThresholdPolicy confidence(float threshold, LayerSet layers) {
        return new ThresholdPolicy("confidence", Signal.TOP1_PROB, threshold, threshold > 0 && threshold <= 1,
                "in (0, 1]", layers, (s, t) -> s.top1Prob() >= t);
    }

    /** Top-1 − top-2 softmax gap, CALM's softmax response: Schuster et al. 2022. Exits at a gap >= threshold. */
    public static ThresholdPolicy margin(float threshold, LayerSet layers) {
        return new ThresholdPolicy("margin", Signal.MARGIN, threshold, threshold >= 0 && threshold <= 1,
                "in [0, 1]", layers, (s, t) -> s.margin() >= t);
    }

    /** Prediction entropy: Xin et al. 2020, "DeeBERT". Exits at an entropy of at most threshold nats. */
    public static ThresholdPolicy entropy(float threshold, LayerSet layers) {
        return new ThresholdPolicy("entropy", Signal.ENTROPY, threshold, threshold >= 0 && Float.isFinite(threshold),
                "finite and >= 0", layers, (s, t) -> s.entropy() <= t);
    }

    /**
     * Hidden-state saturation: CALM (Schuster et al. 2022) and MuE (Tang et al. 2023, "You Need Multiple Exiting").
     * Exits once consecutive hidden states' cosine is at least threshold; needs no LM head.
     */
    public static ThresholdPolicy saturation(float threshold, LayerSet layers) {
        return new ThresholdPolicy("saturation", Signal.COSINE, threshold, threshold >= -1 && threshold <= 1,
                "in [-1, 1]", layers, (s, t) -> s.cosine() >= t);
    }

    public float threshold() {
        return threshold;
    }

    @Override
    public Schedule schedule() {
        return schedule;
    }

    @Override
    public boolean shouldExit(TokenState token) {
        return test.exits(token.current(), threshold);
    }

    @Override
    public String toString() {
        return Specs.leaf(name, layers, "threshold=" + threshold);
    }
}
