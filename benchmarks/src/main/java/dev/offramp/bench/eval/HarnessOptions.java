package dev.offramp.bench.eval;

import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.ModelOptions;
import dev.offramp.model.cli.PluginOptions;
import dev.offramp.model.cli.Progress;
import dev.offramp.model.cli.UsageException;
import dev.offramp.policy.PolicyRegistry;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What the evaluation commands run on and how much of it, a picocli mixin: the model options of every model-loading
 * command, the plug-in policies, the held-out text and the sizes; and where their output and progress go. A command
 * sets its defaults by constructing it.
 */
final class HarnessOptions {
    @Option(names = "--text", paramLabel = "FILE", description = "The held-out text prompts are cut from. Default: "
            + "the default model's, shared/data/kjv-fortunes-calibration.txt beside the checkout, unless --model is "
            + "given: another model is measured on its own kind of text.")
    private Path text;

    @Option(names = "--half", paramLabel = "all|first|second", description = "The part of the text used (calibrate "
            + "on one half, test on the other). Default: ${DEFAULT-VALUE}.")
    private String half;

    @Option(names = "--prompts", paramLabel = "N", description = "Prompts cut from the text. "
            + "Default: ${DEFAULT-VALUE}.")
    private int prompts;

    @Option(names = "--prompt-tokens", paramLabel = "P", description = "Tokens per prompt. Default: ${DEFAULT-VALUE}.")
    private int promptTokens = 32;

    @Option(names = "--new-tokens", paramLabel = "M", description = "Tokens generated per prompt (at least 2). "
            + "Default: ${DEFAULT-VALUE}.")
    private int newTokens;

    @Option(names = "--warmup-tokens", paramLabel = "W", description = "Untimed tokens generated first, in full depth "
            + "and in the mode, for the JIT; 0: none. Default: ${DEFAULT-VALUE}.")
    private int warmupTokens = 512;

    // A small model's 512 tokens take a tenth of a second, too few calls for the JIT: stories260K's thinned early
    // exit measured 0.64-0.95x of full depth after 512 tokens, 0.95-1.00x after 4000, with the same layers and checks.
    @Option(names = "--warmup-seconds", paramLabel = "S", description = "The warm-up's least length in seconds, "
            + "unless --warmup-tokens is 0. Default: ${DEFAULT-VALUE}.")
    private double warmupSeconds = 3;

    @Mixin
    private ModelOptions model;

    @Mixin
    private PluginOptions plugins = new PluginOptions();

    private final CliContext context;
    private final Path defaultText;

    HarnessOptions(CliContext context, String half, int prompts, int newTokens) {
        this.context = context;
        this.model = new ModelOptions(context.defaultModel());
        // The default model's held-out text, from the fixtures beside the checkout.
        this.defaultText = context.home().resolve("../shared/data/kjv-fortunes-calibration.txt").normalize();
        this.half = half;
        this.prompts = prompts;
        this.newTokens = newTokens;
    }

    /** Checks every size, the text and the model options before anything is loaded. */
    HarnessOptions validate() {
        atLeast("--prompts", prompts, 1);
        atLeast("--prompt-tokens", promptTokens, 1);
        atLeast("--new-tokens", newTokens, 2);  // the first token comes with the prefill; costs need a decode step
        atLeast("--warmup-tokens", warmupTokens, 0);
        if (!(warmupSeconds >= 0 && warmupSeconds <= 3600)) {
            throw new UsageException("--warmup-seconds: expected a number in 0..3600, found " + warmupSeconds);
        }
        atLeast("--threads", model.threads(), 1);
        if (!Set.of("all", "first", "second").contains(half)) {
            throw new UsageException("--half: expected all, first or second, found " + half);
        }
        if (!Files.isRegularFile(text())) {
            throw new UsageException("--text: expected a text file, found no file at " + text());
        }
        model.validate();
        return this;
    }

    PrintStream out() {
        return context.out();
    }

    Progress progress() {
        return context.progress();
    }

    ModelOptions model() {
        return model;
    }

    /** The policies a spec may name: built-in, on the classpath, in the --plugins jars. */
    PolicyRegistry policies() {
        return plugins.policies(System.getenv());
    }

    Path text() {
        if (text == null && model.modelGiven()) {
            throw new UsageException("--text FILE is required with --model: the default text is the default model's");
        }
        return text != null ? text : defaultText;
    }

    String half() {
        return half;
    }

    int prompts() {
        return prompts;
    }

    int promptTokens() {
        return promptTokens;
    }

    int newTokens() {
        return newTokens;
    }

    int warmupTokens() {
        return warmupTokens;
    }

    long warmupNanos() {
        return warmupTokens == 0 ? 0 : (long) (warmupSeconds * 1e9);
    }

    static void atLeast(String option, int value, int min) {
        if (value < min) {
            throw new UsageException(option + ": expected an integer >= " + min + ", found " + value);
        }
    }
}
