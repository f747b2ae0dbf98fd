package dev.offramp.bench.eval;

/**
 * A mode against full depth, free-running greedy on the same prompts. Costs are per decoded token: the first
 * generated token comes out of the prompt's prefill, each later one costs a decode step, so full depth reads L.
 *
 * @param agreementPrefix    mean over prompts of the matching prefix length / new tokens
 * @param agreementOverall   fraction of positions where the mode's id equals full depth's
 * @param agreementPerToken  fraction of the mode's tokens that equal full depth's greedy choice given the same
 *                           (the mode's own) prefix: the per-token risk, unaffected by an earlier divergence
 * @param layersPerToken     the mode's decoder-layer evaluations per decoded token, prefill excluded (drafts,
 *                           verification and recomputed K/V included)
 * @param fullLayersPerToken the same for full depth
 * @param exitChecksPerToken LM-head passes for signals or drafts per decoded token
 * @param meanExitLayer      mean exit layer over the mode's generated tokens
 * @param drafted            self-speculative: tokens drafted; {@code accepted}: drafts kept
 * @param tokensPerSecond    the mode's generated tokens over its whole time (prefill included); {@code full…} alike
 * @param decodeTokensPerSecond the tokens after each prompt's first over the time after it: decoding alone, without
 *                           the prefill that every mode runs at full depth alike; {@code full…} alike
 */
record FreeRunResult(int prompts, int promptTokens, int newTokens, double agreementPrefix, double agreementOverall,
                     double agreementPerToken,
                     double layersPerToken, double fullLayersPerToken, double exitChecksPerToken, double meanExitLayer,
                     long drafted, long accepted, double tokensPerSecond, double fullTokensPerSecond,
                     double decodeTokensPerSecond, double fullDecodeTokensPerSecond) {

    double speedup() {
        return tokensPerSecond / fullTokensPerSecond;
    }

    /** The decode rate's ratio: what the mode changes, without the prefill both share. */
    double decodeSpeedup() {
        return decodeTokensPerSecond / fullDecodeTokensPerSecond;
    }

    /** How many times fewer layers than full depth the mode ran per decoded token. */
    double layerRatio() {
        return fullLayersPerToken / layersPerToken;
    }

    /** Accepted over drafted; NaN when nothing was drafted. */
    double acceptanceRate() {
        return drafted == 0 ? Double.NaN : (double) accepted / drafted;
    }
}
