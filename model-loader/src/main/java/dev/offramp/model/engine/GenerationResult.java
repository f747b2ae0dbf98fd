package dev.offramp.model.engine;

/**
 * What was generated, and what it cost.
 *
 * @param exitLayers     the layer each generated token left after (1-based), one per id
 * @param layersComputed every decoder-layer evaluation the request caused, summed over positions (prompt included)
 * @param decodeNanos    wall time of the whole generation, prefill included
 */
public record GenerationResult(int[] promptIds, int[] ids, int[] exitLayers, long layersComputed, long decodeNanos) {
    public double tokensPerSecond() {
        return decodeNanos == 0 ? 0 : ids.length * 1e9 / decodeNanos;
    }
}
