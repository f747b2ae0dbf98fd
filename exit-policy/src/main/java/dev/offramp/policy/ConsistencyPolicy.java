package dev.offramp.policy;

import java.util.List;
import java.util.Set;

/** Agreement of latent predictions: Xie et al. 2024, "Calibrating Reasoning in LMs with Internal Consistency". */
public final class ConsistencyPolicy implements ExitPolicy {
    static final String NAME = "consistency";

    private final float threshold;
    private final int window;
    private final LayerSet layers;
    private final Schedule schedule;

    /**
     * Exits once at least {@code window} (>= 1) layers were checked and, of the last {@code window}, the fraction whose
     * top token equals the current one is at least {@code threshold}, in (0, 1].
     */
    public ConsistencyPolicy(float threshold, int window, LayerSet layers) {
        this.threshold = Specs.require(threshold > 0 && threshold <= 1, NAME, "threshold", "in (0, 1]", threshold);
        this.window = Specs.require(window >= 1, NAME, "window", ">= 1", window);
        this.layers = Specs.layers(layers);
        this.schedule = new Schedule(Set.of(Signal.ARGMAX), layers);
    }

    public float threshold() {
        return threshold;
    }

    public int window() {
        return window;
    }

    @Override
    public Schedule schedule() {
        return schedule;
    }

    /** An argmax of -1 (not computed) never counts as agreement. */
    @Override
    public boolean shouldExit(TokenState token) {
        List<LayerSignals> history = token.history();
        int top = token.current().argmax();
        if (history.size() < window || top < 0) {
            return false;
        }
        int agree = 0;
        for (LayerSignals s : history.subList(history.size() - window, history.size())) {
            if (s.argmax() == top) {
                agree++;
            }
        }
        // float division, correctly rounded, so 4/5 meets a threshold written as 0.8 exactly
        return (float) agree / window >= threshold;
    }

    @Override
    public String toString() {
        return Specs.leaf(NAME, layers, "threshold=" + threshold + ",window=" + window);
    }
}
