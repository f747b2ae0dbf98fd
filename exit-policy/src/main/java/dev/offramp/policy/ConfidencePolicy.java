package dev.offramp.policy;

import java.util.Set;

/** Softmax response on the top-1 probability: Schuster et al. 2022, "Confident Adaptive Language Modeling" (CALM). */
public final class ConfidencePolicy implements ExitPolicy {
    static final String NAME = "confidence";

    private final float threshold;
    private final LayerSet layers;
    private final Schedule schedule;

    /** Exits once the top token's probability is at least {@code threshold}, in (0, 1]. */
    public ConfidencePolicy(float threshold, LayerSet layers) {
        this.threshold = Specs.require(threshold > 0 && threshold <= 1, NAME, "threshold", "in (0, 1]", threshold);
        this.layers = Specs.layers(layers);
        this.schedule = new Schedule(Set.of(Signal.TOP1_PROB), layers);
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
        return token.current().top1Prob() >= threshold;
    }

    @Override
    public String toString() {
        return Specs.leaf(NAME, layers, "threshold=" + threshold);
    }
}
