package dev.offramp.policy;

import java.util.Set;

/** A fixed sub-model of the first k layers: Kavehzadeh et al. 2024, "Sorted LLaMA" (SoFT, sorted fine-tuning). */
public final class StaticPolicy implements ExitPolicy {
    static final String NAME = "static";

    private final int layer;
    private final Schedule schedule;

    /** Checks only after {@code layer} (>= 1) and always exits there; a model no deeper than that runs in full. */
    public StaticPolicy(int layer) {
        this.layer = Specs.require(layer >= 1, NAME, "layer", ">= 1", layer);
        this.schedule = new Schedule(Set.of(), LayerSet.of(layer));
    }

    public int layer() {
        return layer;
    }

    @Override
    public Schedule schedule() {
        return schedule;
    }

    @Override
    public boolean shouldExit(TokenState token) {
        return true;
    }

    @Override
    public String toString() {
        return NAME + ":layer=" + layer;
    }
}
