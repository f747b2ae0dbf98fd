package dev.offramp.server.http;

import dev.offramp.model.LoadedModel;
import dev.offramp.model.ModelConfig;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.Mode;
import dev.offramp.policy.PolicyRegistry;

/** A request's checks against the model, run on the engine thread when it joins the batch. */
final class Generation {
    private Generation() {}

    /** The prompt ids, what the engine is asked to generate, and the mode's name. */
    record Prepared(int[] promptIds, GenerationRequest request, String mode) {}

    static Prepared prepare(LoadedModel m, Knobs k) {
        ModelConfig c = m.config();
        int[] prompt = k.promptIds() != null ? k.promptIds() : m.tokenizer().encode(k.prompt());
        String promptParam = k.promptIds() != null ? "prompt_ids" : k.chat() ? "messages" : "prompt";
        for (int id : prompt) {
            if (id < 0 || id >= c.vocab()) {
                throw ApiException.invalid(promptParam, "prompt_ids: expected ids in 0.." + (c.vocab() - 1)
                        + ", found " + id);
            }
        }
        if (prompt.length == 0 || prompt.length > c.contextLength()) {
            throw ApiException.invalid(promptParam, promptParam + ": expected 1.." + c.contextLength()
                    + " tokens (the context length), found " + prompt.length);
        }
        int room = c.contextLength() - prompt.length + 1;
        if (k.maxTokens() > room) {
            throw ApiException.invalid("max_tokens", "max_tokens: expected at most " + room + " for a prompt of "
                    + prompt.length + " tokens in a context of " + c.contextLength() + ", found " + k.maxTokens());
        }
        Mode mode;
        try {
            mode = k.earlyExit().toMode(c, PolicyRegistry.standard());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("early_exit", "early_exit: " + e.getMessage());
        }
        GenerationRequest req = new GenerationRequest(prompt, k.maxTokens(), k.temperature(), k.topP(), k.topK(),
                k.seed(), mode, true);
        return new Prepared(prompt, req, mode.name());
    }
}
