package dev.offramp.server.serve;

import dev.offramp.model.LoadedModel;
import dev.offramp.model.ModelConfig;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.model.tokenize.TextTokenizer;
import dev.offramp.policy.PolicyRegistry;
import dev.offramp.policy.PolicySpecException;

/** A request's checks against the model and its tokenization, on the validation pool before it is queued. */
public final class RequestPlan {
    /** Tokens a cut through the text can add to a prefix's count beyond the whole's (merges spanning the cut). */
    private static final int CUT_MARGIN = 64;

    private RequestPlan() {}

    /** The prompt ids, what the engine is asked to generate (null for a cascade: its members run), the mode's name. */
    record Prepared(int[] promptIds, GenerationRequest request, String mode) {
        boolean cascade() {
            return request == null;
        }
    }

    /**
     * @param defaultMode what runs when the request has no {@code early_exit} object
     * @param cascade     whether this server runs a cascade a request may choose
     * @param policies    the policies a spec may name
     */
    static Prepared prepare(LoadedModel m, ClientRequest k, ModeOptions defaultMode, boolean cascade,
                            PolicyRegistry policies) {
        int[] prompt = prompt(m, k);
        ModeOptions asked;
        Mode mode;
        try {
            asked = (k.earlyExit().equals(ModeOptions.NONE) ? defaultMode : k.earlyExit())
                    .withDefaults(m.profile());  // a mode named without knobs takes the model's own defaults
            mode = asked.toMode(m.config(), policies);
        } catch (PolicySpecException e) {
            throw ServingException.invalid("early_exit.policy", "early_exit.policy: " + e.getMessage());
        } catch (ModeOptions.InvalidKnob e) {
            throw ClientRequest.invalid(e);
        } catch (IllegalArgumentException e) {  // a policy's own rule, say: still about the request's early_exit
            throw ServingException.invalid("early_exit", "early_exit: " + e.getMessage());
        }
        if (mode instanceof Mode.Cascade) {
            if (!cascade) {
                throw ServingException.invalid("early_exit.mode", "early_exit.mode: cascade is not configured on this "
                        + "server (serve --cascade-members PATH[:K],… or --cascade-small-layers K, with "
                        + "--cascade-rule RULE --cascade-threshold T)");
            }
            if (!asked.equals(new ModeOptions("cascade", null, null, null, null, null, null, null))) {
                throw ServingException.invalid("early_exit", "early_exit: mode cascade takes no other knobs (the "
                        + "server configures its members, rule and threshold)");
            }
            return new Prepared(prompt, null, "cascade");
        }
        return new Prepared(prompt, request(prompt, k, mode), mode.name());
    }

    /**
     * A cascade member's part of a request: its prompt in the member's tokens, run in the member's mode (full or
     * static), scored unless it is the last member. A member of the served model takes {@code servedPrompt}, the
     * prompt {@link #prepare} already tokenized and checked; another tokenizes the text itself. Ids are one
     * tokenizer's: only a member of the served model takes {@code prompt_ids}.
     */
    static Prepared member(LoadedModel m, ClientRequest k, Mode mode, boolean scored, int[] servedPrompt) {
        if (k.promptIds() != null && servedPrompt == null) {
            throw ServingException.invalid("prompt_ids", "prompt_ids: are one tokenizer's ids, and this cascade hands "
                    + "the prompt to a member with its own tokenizer as text: send prompt");
        }
        int[] prompt = servedPrompt != null ? servedPrompt : prompt(m, k);
        GenerationRequest r = request(prompt, k, mode);
        return new Prepared(prompt, scored ? r.scoredAs(mode) : r, mode.name());
    }

    /** The prompt's ids, checked against the model: vocabulary, context, room for max_tokens, top_k. */
    private static int[] prompt(LoadedModel m, ClientRequest k) {
        ModelConfig c = m.config();
        String promptParam = k.promptIds() != null ? "prompt_ids" : k.chat() ? "messages" : "prompt";
        int[] prompt = k.promptIds() != null ? k.promptIds()
                : encodeWithin(m.tokenizer(), k.prompt(), c.contextLength(), promptParam);
        for (int id : prompt) {
            if (id < 0 || id >= c.vocab()) {
                throw ServingException.invalid(promptParam, "prompt_ids: expected ids in 0.." + (c.vocab() - 1)
                        + ", found " + id);
            }
        }
        if (prompt.length == 0 || prompt.length > c.contextLength()) {
            throw ServingException.invalid(promptParam, promptParam + ": expected 1.." + c.contextLength()
                    + " tokens (the context length), found " + prompt.length);
        }
        int room = c.contextLength() - prompt.length + 1;
        if (k.maxTokens() > room) {
            throw ServingException.invalid(k.maxTokensName(), k.maxTokensName() + ": expected at most " + room
                    + " for a prompt of " + prompt.length + " tokens in a context of " + c.contextLength()
                    + ", found " + k.maxTokens());
        }
        if (k.topK() > c.vocab()) {
            throw ServingException.invalid("top_k", "top_k: expected 0 (off) .. " + c.vocab() + " (the vocabulary), "
                    + "found " + k.topK());
        }
        return prompt;
    }

    /**
     * Tokenizes a prompt, refusing one far too long for the context from a prefix first. Tokenizing costs more than
     * linear time in the text (llama2c's merges are quadratic: an 875 KB prompt took minutes), so a long prompt is
     * measured by growing prefixes; a prefix already over the context, with a margin for merges across the cut,
     * ends it. Whatever fits is then tokenized whole and checked exactly by the caller.
     */
    static int[] encodeWithin(TextTokenizer tokenizer, String text, int context, String param) {
        for (long chars = 4L * context; chars < text.length(); chars *= 4) {
            int cut = (int) chars - (Character.isHighSurrogate(text.charAt((int) chars - 1)) ? 1 : 0);
            int tokens = tokenizer.encode(text.substring(0, cut)).length;
            if (tokens > context + CUT_MARGIN) {
                throw ServingException.invalid(param, param + ": expected 1.." + context + " tokens (the context "
                        + "length), found more than " + (tokens - CUT_MARGIN) + " in its first " + cut + " characters");
            }
        }
        return tokenizer.encode(text);
    }

    private static GenerationRequest request(int[] prompt, ClientRequest k, Mode mode) {
        return new GenerationRequest(prompt, k.maxTokens(), k.temperature(), k.topP(), k.topK(), k.seed(), mode, true);
    }
}
