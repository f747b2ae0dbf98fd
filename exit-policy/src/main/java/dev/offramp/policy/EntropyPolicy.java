package dev.offramp.policy;

import java.util.Set;

/** Prediction entropy: Xin et al. 2020, "DeeBERT: Dynamic Early Exiting for Accelerating BERT Inference". */
public final class EntropyPolicy implements ExitPolicy {
    static final String NAME = "entropy";

    private final float threshold;
    private final LayerSet layers;
    private final Schedule schedule;

    /** Exits once the softmax entropy is at most {@code threshold} nats, which must be finite and >= 0. */
    public EntropyPolicy(float threshold, LayerSet layers) {
        this.threshold = Specs.require(threshold >= 0 && Float.isFinite(threshold),
                NAME, "threshold", "finite and >= 0", threshold);
        this.layers = Specs.layers(layers);
        this.schedule = new Schedule(Set.of(Signal.ENTROPY), layers);
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
        return token.current().entropy() <= threshold;
    }

    @Override
    public String toString() {
        return Specs.leaf(NAME, layers, "threshold=" + threshold);
    }
}
