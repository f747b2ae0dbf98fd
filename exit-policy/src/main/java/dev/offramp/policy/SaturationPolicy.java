package dev.offramp.policy;

import java.util.Set;

/** Hidden-state saturation: CALM (Schuster et al. 2022) and MuE (Tang et al. 2023, "You Need Multiple Exiting"). */
public final class SaturationPolicy implements ExitPolicy {
    static final String NAME = "saturation";

    private final float threshold;
    private final LayerSet layers;
    private final Schedule schedule;

    /** Exits once consecutive hidden states' cosine is at least {@code threshold}, in [-1, 1]; needs no LM head. */
    public SaturationPolicy(float threshold, LayerSet layers) {
        this.threshold = Specs.require(threshold >= -1 && threshold <= 1, NAME, "threshold", "in [-1, 1]", threshold);
        this.layers = Specs.layers(layers);
        this.schedule = new Schedule(Set.of(Signal.COSINE), layers);
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
        return token.current().cosine() >= threshold;
    }

    @Override
    public String toString() {
        return Specs.leaf(NAME, layers, "threshold=" + threshold);
    }
}
