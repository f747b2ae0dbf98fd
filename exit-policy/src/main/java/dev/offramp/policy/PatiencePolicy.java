package dev.offramp.policy;

import java.util.List;
import java.util.Set;

/** Patience-based early exit: Zhou et al. 2020, "BERT Loses Patience: Fast and Robust Inference with Early Exit". */
public final class PatiencePolicy implements ExitPolicy {
    static final String NAME = "patience";

    private final int patience;
    private final LayerSet layers;
    private final Schedule schedule;

    /** Exits once the last {@code patience} (>= 1) checked layers agree on the top token. */
    public PatiencePolicy(int patience, LayerSet layers) {
        this.patience = Specs.require(patience >= 1, NAME, "layers", ">= 1", patience);
        this.layers = Specs.layers(layers);
        this.schedule = new Schedule(Set.of(Signal.ARGMAX), layers);
    }

    public int patience() {
        return patience;
    }

    @Override
    public Schedule schedule() {
        return schedule;
    }

    /** An argmax of -1 (not computed) never counts as agreement. */
    @Override
    public boolean shouldExit(TokenState token) {
        List<LayerSignals> history = token.history();
        if (history.size() < patience) {
            return false;
        }
        int top = token.current().argmax();
        if (top < 0) {
            return false;
        }
        for (LayerSignals s : history.subList(history.size() - patience, history.size())) {
            if (s.argmax() != top) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return Specs.leaf(NAME, layers, "layers=" + patience);
    }
}
