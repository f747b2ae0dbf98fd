package dev.offramp.policy;

/**
 * The signals computed at one checked layer (1-based). Signals nobody asked for are {@code NaN} (or -1 for argmax).
 */
public record LayerSignals(int layer, float top1Prob, float margin, float entropy, int argmax, float cosine) {
    public LayerSignals {
        if (layer < 1) {
            throw new IllegalArgumentException("layer: expected >= 1, found " + layer);
        }
    }
}
