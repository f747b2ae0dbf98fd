package dev.offramp.server.http;

import dev.offramp.model.LoadedModel;
import dev.offramp.model.ModelConfig;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.PolicyRegistry;

/** A request's checks against the model, run on the engine thread when it joins the batch. */
final class Generation {
    private Generation() {}

    /**
     * The prompt ids, what the engine is asked to generate, and the mode's name; for a cascade, the served cascade
     * and the request its large member runs when the small member's answer is deferred.
     */
    record Prepared(int[] promptIds, GenerationRequest request, String mode, Cascade cascade,
                    GenerationRequest deferred) {}

    /**
     * @param defaultMode what runs when the request has no {@code early_exit} object
     * @param cascade     the served cascade, or null when none is configured
     * @param policies    the policies a spec may name
     */
    static Prepared prepare(LoadedModel m, Knobs k, ModeOptions defaultMode, Cascade cascade,
                            PolicyRegistry policies) {
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
        ModeOptions asked = k.earlyExit().equals(ModeOptions.NONE) ? defaultMode : k.earlyExit();
        if ("cascade".equals(asked.mode())) {
            if (cascade == null) {
                throw ApiException.invalid("early_exit.mode", "early_exit.mode: cascade is not configured on this "
                        + "server (serve --cascade-small-layers K --cascade-rule RULE --cascade-threshold T)");
            }
            if (!asked.equals(new ModeOptions("cascade", null, null, null, null, null, null, null))) {
                throw ApiException.invalid("early_exit", "early_exit: mode cascade takes no other knobs (the server "
                        + "configures its members, rule and threshold)");
            }
            return new Prepared(prompt, request(prompt, k, new Mode.Static(cascade.smallLayers())), "cascade",
                    cascade, request(prompt, k, new Mode.Full()));
        }
        Mode mode;
        try {
            mode = asked.toMode(c, policies);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("early_exit", "early_exit: " + e.getMessage());
        }
        return new Prepared(prompt, request(prompt, k, mode), mode.name(), null, null);
    }

    private static GenerationRequest request(int[] prompt, Knobs k, Mode mode) {
        return new GenerationRequest(prompt, k.maxTokens(), k.temperature(), k.topP(), k.topK(), k.seed(), mode, true);
    }
}
