package dev.offramp.policy;

import java.util.Set;

/** Top-1 − top-2 softmax gap, CALM's softmax response: Schuster et al. 2022, "Confident Adaptive Language Modeling". */
public final class MarginPolicy implements ExitPolicy {
    static final String NAME = "margin";

    private final float threshold;
    private final LayerSet layers;
    private final Schedule schedule;

    /** Exits once the top-1 − top-2 probability gap is at least {@code threshold}, in [0, 1]. */
    public MarginPolicy(float threshold, LayerSet layers) {
        this.threshold = Specs.require(threshold >= 0 && threshold <= 1, NAME, "threshold", "in [0, 1]", threshold);
        this.layers = Specs.layers(layers);
        this.schedule = new Schedule(Set.of(Signal.MARGIN), layers);
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
        return token.current().margin() >= threshold;
    }

    @Override
    public String toString() {
        return Specs.leaf(NAME, layers, "threshold=" + threshold);
    }
}
