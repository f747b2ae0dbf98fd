package dev.offramp.model.engine;

/**
 * What to generate.
 *
 * @param topP      nucleus sampling: draw from the smallest set of tokens whose probability reaches topP (1: all)
 * @param topK      draw from the k most probable tokens (0: all)
 * @param stopAtEos stop when the model produces one of its stop ids (the stop id is not returned)
 * @param scored    record each generated token's log-probability and top-1 probability at temperature 1, from the
 *                  logits it was chosen from (what a cascade's deferral rule reads; full and static modes only)
 */
public record GenerationRequest(int[] promptIds, int maxTokens, float temperature, float topP, int topK, long seed,
                                Mode mode, boolean stopAtEos, boolean scored) {
    public GenerationRequest {
        if (mode instanceof Mode.Cascade) {
            throw new IllegalArgumentException("mode cascade: expected one of its members' modes (full or static); "
                    + "a cascade runs over members, not as one model's request");
        }
        if (scored && !(mode instanceof Mode.Full || mode instanceof Mode.Static)) {
            throw new IllegalArgumentException("scored: expected mode full or static (a cascade member), found "
                    + mode.name());
        }
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("prompt: expected at least one token, found none");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens: expected >= 1, found " + maxTokens);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new IllegalArgumentException("top_p: expected a value in (0, 1], found " + topP);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k: expected 0 (off) or a positive number, found " + topK);
        }
        promptIds = promptIds.clone();
    }

    public GenerationRequest(int[] promptIds, int maxTokens, float temperature, float topP, int topK, long seed,
                             Mode mode, boolean stopAtEos) {
        this(promptIds, maxTokens, temperature, topP, topK, seed, mode, stopAtEos, false);
    }

    /** This request, recording its answer's uncertainty as it is generated. */
    public GenerationRequest scoredAs(Mode member) {
        return new GenerationRequest(promptIds, maxTokens, temperature, topP, topK, seed, member, stopAtEos, true);
    }

    /** Sampling over the whole vocabulary (no top-p, no top-k). */
    public GenerationRequest(int[] promptIds, int maxTokens, float temperature, long seed, Mode mode,
                             boolean stopAtEos) {
        this(promptIds, maxTokens, temperature, 1f, 0, seed, mode, stopAtEos);
    }

    /** Greedy, full depth, no stop id: how the fixtures were made. */
    public static GenerationRequest greedy(int[] promptIds, int maxTokens) {
        return greedy(promptIds, maxTokens, new Mode.Full());
    }

    public static GenerationRequest greedy(int[] promptIds, int maxTokens, Mode mode) {
        return new GenerationRequest(promptIds, maxTokens, 0f, 0L, mode, false);
    }
}
