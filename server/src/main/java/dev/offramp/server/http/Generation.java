package dev.offramp.server.http;

import dev.offramp.model.LoadedModel;
import dev.offramp.model.ModelConfig;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import dev.offramp.policy.PolicyRegistry;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/** One request's generation on the engine thread: checks against the model, then tokens through a text stream. */
final class Generation {
    /** Told when the checks passed and of each token as it is produced. */
    interface Sink {
        void start();

        void token(int id, int exitLayer, String textDelta);
    }

    /** What came out: {@code tail} is the text not yet handed to the sink's deltas. */
    record Outcome(int[] promptIds, GenerationResult result, String text, String tail, String finishReason,
                   String mode) {
        double meanExitLayer() {
            return Arrays.stream(result.exitLayers()).average().orElse(0);
        }

        Wire.ExitSummary summary() {
            return new Wire.ExitSummary(mode, meanExitLayer(), result.layersComputed(), result.exitChecks());
        }

        Wire.Usage usage() {
            return Wire.Usage.of(promptIds.length, result.ids().length);
        }
    }

    static final Sink NO_SINK = new Sink() {
        @Override
        public void start() {}

        @Override
        public void token(int id, int exitLayer, String textDelta) {}
    };

    private Generation() {}

    static Outcome run(LoadedModel m, Knobs k, Sink sink, BooleanSupplier cancelled) {
        ModelConfig c = m.config();
        int[] prompt = k.promptIds() != null ? k.promptIds() : m.tokenizer().encode(k.prompt());
        String promptParam = k.promptIds() != null ? "prompt_ids" : "prompt";
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
        GenerationRequest req = new GenerationRequest(prompt, k.maxTokens(), k.temperature(), k.seed(), mode, true);
        TextStream text = new TextStream(m.tokenizer(), k.stop());
        sink.start();
        GenerationResult r = new Generator(m.transformer(), System::nanoTime).generate(req, (id, exit) -> {
            sink.token(id, exit, text.push(id));
            return !text.stopped() && !cancelled.getAsBoolean();
        });
        String tail = text.finish();
        String finish = text.stopped() || r.ids().length < k.maxTokens() ? "stop" : "length";
        return new Outcome(prompt, r, text.text(), tail, finish, mode.name());
    }
}
