package dev.offramp.bench.eval;

import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.PolicyRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;

/** A loaded model with its calibration text tokenized and the prompts cut from it: what eval and sweep share. */
final class EvalSession implements AutoCloseable {
    final EvalOptions options;
    final LoadedModel model;
    final String engine;
    final CalibrationText text;
    final List<int[]> prompts;
    private final PolicyRegistry policies;
    private final FreeRunning freeRunning;

    private EvalSession(EvalOptions options, LoadedModel model, String engine) {
        this.options = options;
        this.model = model;
        this.engine = engine;
        this.policies = PolicyRegistry.withPlugins(options.plugins());
        try {
            this.text = CalibrationText.tokenize(CalibrationText.half(Files.readString(options.text()),
                    options.half()), model.tokenizer(), model.config().bosId());
        } catch (IOException e) {
            throw new UncheckedIOException(options.text() + ": cannot read the text: " + e.getMessage(), e);
        }
        int context = model.config().contextLength();
        if (options.promptTokens() + options.newTokens() - 1 > context) {
            throw new IllegalArgumentException("--prompt-tokens " + options.promptTokens() + " + --new-tokens "
                    + options.newTokens() + ": expected at most the context length " + context + " in all");
        }
        this.prompts = text.prompts(options.prompts(), options.promptTokens());
        this.freeRunning = new FreeRunning(model.transformer(), System::nanoTime);
    }

    static EvalSession open(EvalOptions options) {
        DjlRuntime runtime = DjlRuntime.start(options.threads());
        LoadedModel model = LoadedModel.open(options.model(), options.tokenizer(), runtime, options.device(),
                options.kernels());
        try {
            return new EvalSession(options, model, runtime.describe(options.device()));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The mode the knobs name, with the model's defaults for what they leave out (see ModeOptions#withDefaults). */
    Mode mode(ModeOptions knobs) {
        ModeOptions resolved = knobs.withDefaults(model.profile());
        String note = ModeOptions.defaultsNote(knobs, resolved);
        if (note != null) {
            System.err.println(note);
        }
        return resolved.toMode(model.config(), policies);
    }

    /** Untimed generations in full depth and this mode, so that the JIT has compiled both paths. */
    void warmUp(Mode mode) {
        freeRunning.warmUp(prompts, options.newTokens(), mode, options.warmupTokens());
    }

    /** The mode against full depth, interleaved on every prompt. */
    FreeRunResult freeRunning(Mode mode) {
        return freeRunning.run(prompts, options.newTokens(), mode);
    }

    @Override
    public void close() {
        model.close();
    }
}
