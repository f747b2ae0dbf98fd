package dev.offramp.bench.eval;

import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.cli.Progress;
import dev.offramp.model.cli.UsageException;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.ExitPolicy;
import dev.offramp.policy.PolicyRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;

/**
 * A loaded model with its calibration text tokenized and the prompts cut from it: what the evaluation commands share,
 * each long part shown as progress.
 */
final class EvalSession implements AutoCloseable {
    final HarnessOptions options;
    final LoadedModel model;
    final String engine;
    final CalibrationText text;
    final List<int[]> prompts;
    private final PolicyRegistry policies;
    private final Progress progress;
    private final FreeRunning freeRunning;

    private EvalSession(HarnessOptions options, LoadedModel model, PolicyRegistry policies, Progress progress) {
        this.options = options;
        this.model = model;
        this.engine = DjlRuntime.start(options.model().threads()).describe(options.model().device());
        this.policies = policies;
        this.progress = progress;
        try {
            this.text = CalibrationText.tokenize(CalibrationText.half(Files.readString(options.text()),
                    options.half()), model.tokenizer(), model.config().bosId());
        } catch (IOException e) {
            throw new UncheckedIOException(options.text() + ": cannot read the text: " + e.getMessage(), e);
        }
        int context = model.config().contextLength();
        if (options.promptTokens() + options.newTokens() - 1 > context) {
            throw new UsageException("--prompt-tokens " + options.promptTokens() + " + --new-tokens "
                    + options.newTokens() + ": expected at most the context length " + context + " in all");
        }
        this.prompts = text.prompts(options.prompts(), options.promptTokens());
        this.freeRunning = new FreeRunning(model.transformer(), System::nanoTime);
    }

    /** Validates the options, then loads the model on them and reads the text. */
    static EvalSession open(HarnessOptions options, Progress progress) {
        options.validate();
        PolicyRegistry policies = options.policies();
        LoadedModel model = options.model().load(options.model().model(), progress);
        try {
            return new EvalSession(options, model, policies, progress);
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
        freeRunning.warmUp(prompts, options.newTokens(), mode, options.warmupTokens(), options.warmupNanos());
    }

    /** The mode against full depth, interleaved on every prompt; {@code task} names it in the progress bar. */
    FreeRunResult freeRunning(Mode mode, String task) {
        return freeRunning.run(prompts, options.newTokens(), mode, progress, task);
    }

    /** The first {@code tokens} positions of the text teacher-forced through {@code rule}. */
    TeacherResult teacherForced(int tokens, ExitPolicy rule) {
        return new TeacherForcing(model.transformer()).run(text.head(tokens + 1), rule, progress);
    }

    @Override
    public void close() {
        model.close();
    }
}
