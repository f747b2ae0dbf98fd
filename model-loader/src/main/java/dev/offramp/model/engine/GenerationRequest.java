package dev.offramp.model.engine;

/**
 * What to generate.
 *
 * @param stopAtEos stop when the model produces one of its stop ids (the stop id is not returned)
 */
public record GenerationRequest(int[] promptIds, int maxTokens, float temperature, long seed, Mode mode,
                                boolean stopAtEos) {
    public GenerationRequest {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("prompt: expected at least one token, found none");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens: expected >= 1, found " + maxTokens);
        }
        promptIds = promptIds.clone();
    }

    /** Greedy, full depth, no stop id: how the fixtures were made. */
    public static GenerationRequest greedy(int[] promptIds, int maxTokens) {
        return greedy(promptIds, maxTokens, new Mode.Full());
    }

    public static GenerationRequest greedy(int[] promptIds, int maxTokens, Mode mode) {
        return new GenerationRequest(promptIds, maxTokens, 0f, 0L, mode, false);
    }
}
