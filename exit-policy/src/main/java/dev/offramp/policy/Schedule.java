package dev.offramp.policy;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where a policy looks and what it needs there. The last layer is never checked: a token that reaches it exits there
 * anyway, with the model's ordinary output.
 */
public record Schedule(Set<Signal> signals, LayerSet layers) {
    public Schedule {
        signals = signals.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(signals));
    }

    /** Whether the policy is asked after {@code layer} in a model of {@code totalLayers}. */
    public boolean checks(int layer, int totalLayers) {
        return layer < totalLayers && layers.contains(layer, totalLayers);
    }

    public boolean needsLmHead() {
        return signals.stream().anyMatch(Signal::needsLmHead);
    }

    /** Checked where either checks, needing what either needs (for composite policies). */
    public Schedule union(Schedule other) {
        EnumSet<Signal> s = EnumSet.noneOf(Signal.class);
        s.addAll(signals);
        s.addAll(other.signals);
        return new Schedule(s, layers.or(other.layers));
    }
}
