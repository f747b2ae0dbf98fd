package dev.offramp.policy;

import java.util.List;

/**
 * What a policy sees for one token: its position among the generated tokens (0-based), the model's depth, and the
 * signals at the layers checked so far for this token, oldest first; the last entry is the layer just run.
 */
public record TokenState(int position, int totalLayers, List<LayerSignals> history) {
    public TokenState {
        history = List.copyOf(history);
        if (history.isEmpty()) {
            throw new IllegalArgumentException("a token state needs at least the current layer's signals");
        }
    }

    public LayerSignals current() {
        return history.get(history.size() - 1);
    }
}
