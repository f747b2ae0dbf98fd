package dev.offramp.bench.eval;

import dev.offramp.model.DeviceChoice;
import dev.offramp.model.KernelOptions;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.model.engine.Profile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * What {@code eval} and {@code sweep} run on and how much of it.
 *
 * @param tokenizer     null: the model's own (beside a llama2.c {@code .bin}, inside a Hugging Face folder)
 * @param teacherTokens teacher-forced positions; 0 skips that part
 * @param warmupTokens  untimed tokens generated first, in each of full depth and the mode, for the JIT
 * @param half          all | first | second: the part of the text used (calibrate on one half, test on the other)
 * @param threads       the most intra-op threads a matrix product may use (default: the machine's cores)
 * @param kernels       {@code --kernels}: auto (planned, cached), f32, f16, or one kernel
 * @param plugins       {@code --plugins} (else {@code $OFFRAMP_PLUGINS}): a directory of plug-in policy jars, or null
 */
record EvalOptions(Path model, Path tokenizer, Path text, String half, int prompts, int promptTokens, int newTokens,
                   int teacherTokens, int warmupTokens, int threads, DeviceChoice device, KernelOptions kernels,
                   Path plugins) {
    /** The options every harness subcommand reads. */
    static final Set<String> NAMES = Set.of("model", "tokenizer", "text", "half", "prompts", "prompt-tokens",
            "new-tokens", "warmup-tokens", "threads", "device", "kernels", "plugins");
    /** The flags that pick a mode, as {@code generate} reads them (a calibration profile, or the knobs). */
    static final Set<String> MODE_NAMES = Set.of("mode", "policy", "exit-layer", "kv", "prune", "speedup", "draft",
            "draft-stop", "profile");

    EvalOptions {
        atLeast("--prompts", prompts, 1);
        atLeast("--prompt-tokens", promptTokens, 1);
        atLeast("--new-tokens", newTokens, 2);  // the first token comes with the prefill; costs need a decode step
        atLeast("--teacher-tokens", teacherTokens, 0);
        atLeast("--warmup-tokens", warmupTokens, 0);
        atLeast("--threads", threads, 1);
        if (!Set.of("all", "first", "second").contains(half)) {
            throw new IllegalArgumentException("--half: expected all, first or second, found " + half);
        }
        if (!Files.isRegularFile(text)) {
            throw new IllegalArgumentException("--text: expected a text file, found no file at " + text);
        }
    }

    /**
     * {@code defaultText} is the default model's held-out text: it stands in for {@code --text} only when
     * {@code --model} is not given either, since another model's quality is measured on its own kind of text.
     */
    /** What a subcommand measures on unless told otherwise. */
    record Defaults(String half, int prompts, int newTokens) {
        static final Defaults EVAL = new Defaults("all", 50, 64);
    }

    static EvalOptions from(Flags f, Path defaultModel, Path defaultText, int teacherTokens) {
        return from(f, defaultModel, defaultText, teacherTokens, Defaults.EVAL);
    }

    static EvalOptions from(Flags f, Path defaultModel, Path defaultText, int teacherTokens, Defaults defaults) {
        String device = f.string("device");
        Path text = f.string("model") == null && f.string("text") == null ? defaultText : Path.of(f.required("text"));
        return new EvalOptions(f.path("model", defaultModel), f.path("tokenizer", null), text,
                f.string("half") == null ? defaults.half() : f.string("half"),
                f.integer("prompts", defaults.prompts()), f.integer("prompt-tokens", 32),
                f.integer("new-tokens", defaults.newTokens()), teacherTokens,
                f.integer("warmup-tokens", 512), f.integer("threads", Runtime.getRuntime().availableProcessors()),
                device == null ? DeviceChoice.AUTO : DeviceChoice.parse(device),
                KernelOptions.parse(f.string("kernels") == null ? "auto" : f.string("kernels"),
                        KernelOptions.userCacheDir()),
                f.path("plugins", pluginsFromEnvironment()));
    }

    /** {@code $OFFRAMP_PLUGINS}, as {@code serve} and {@code generate} read it; null when unset. */
    private static Path pluginsFromEnvironment() {
        String dir = System.getenv("OFFRAMP_PLUGINS");
        return dir == null || dir.isBlank() ? null : Path.of(dir);
    }

    static ModeOptions modeOptions(Flags f) {
        if (f.string("profile") != null) {
            for (String n : MODE_NAMES) {
                if (!n.equals("profile") && !n.equals("mode") && f.string(n) != null) {
                    throw new IllegalArgumentException("--profile sets the mode; expected no --" + n + " with it");
                }
            }
            return Profile.read(Path.of(f.string("profile"))).modeOptions(f.string("mode"));
        }
        Double speedup = f.number("speedup");
        Double draftStop = f.number("draft-stop");
        return new ModeOptions(f.string("mode"), f.string("policy"), f.integer("exit-layer"), f.string("kv"),
                f.integer("prune"), speedup, f.integer("draft"), draftStop == null ? null : draftStop.floatValue());
    }

    private static void atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + ": expected an integer >= " + min + ", found " + value);
        }
    }
}
