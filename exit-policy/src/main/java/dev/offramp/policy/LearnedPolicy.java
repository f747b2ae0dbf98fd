package dev.offramp.policy;

import java.util.EnumSet;

/**
 * {@code learned:gate=FILE,threshold=T}: exits where the {@link LearnedGate}'s probability that this layer's argmax
 * is already the full model's is at least T (CALM's meta-classifier, Schuster et al. 2022). It checks the layers the
 * gate was trained for, or those of {@code min_layer}/{@code every}/{@code at} among them, and needs every signal.
 */
public final class LearnedPolicy implements ExitPolicy {
    public static final String NAME = "learned";

    private final String gateName;
    private final LearnedGate gate;
    private final float threshold;
    private final LayerSet given;  // null: the gate's layers
    private final Schedule schedule;

    public LearnedPolicy(String gateName, LearnedGate gate, float threshold, LayerSet given) {
        this.gateName = gateName;
        this.gate = gate;
        this.threshold = Specs.require(threshold >= 0 && threshold <= 1, NAME, "threshold", "in [0, 1]", threshold);
        this.given = given;
        LayerSet trained = LayerSet.of(gate.layerNumbers());
        LayerSet layers = given == null ? trained : (l, total) -> trained.contains(l, total) && given.contains(l, total);
        this.schedule = new Schedule(EnumSet.allOf(Signal.class), layers);
    }

    public LearnedGate gate() {
        return gate;
    }

    @Override
    public Schedule schedule() {
        return schedule;
    }

    @Override
    public boolean shouldExit(TokenState token) {
        return gate.probability(token) >= threshold;
    }

    @Override
    public String toString() {
        String layers = given == null ? "" : "," + given;
        return NAME + ":gate=" + gateName + ",threshold=" + threshold + layers;
    }
}
