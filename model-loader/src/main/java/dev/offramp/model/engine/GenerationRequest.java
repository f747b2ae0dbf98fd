package dev.offramp.model.engine;

/**
 * What to generate.
 *
 * @param exitLayer for {@link Mode#STATIC}: every token exits after this layer (1-based); ignored for FULL
 * @param stopAtEos stop when the model produces one of its stop ids (the stop id is not returned)
 */
public record GenerationRequest(int[] promptIds, int maxTokens, float temperature, long seed, Mode mode,
                                int exitLayer, boolean stopAtEos) {
    public GenerationRequest {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("prompt: expected at least one token, found none");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens: expected >= 1, found " + maxTokens);
        }
        promptIds = promptIds.clone();
    }

    public static GenerationRequest greedy(int[] promptIds, int maxTokens) {
        return new GenerationRequest(promptIds, maxTokens, 0f, 0L, Mode.FULL, 0, false);
    }
}
