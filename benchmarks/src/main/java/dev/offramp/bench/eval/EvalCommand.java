package dev.offramp.bench.eval;

import dev.offramp.model.ModelLoadException;
import dev.offramp.model.engine.Mode;
import dev.offramp.policy.ExitPolicy;
import dev.offramp.policy.StaticPolicy;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code ./offramp eval}: a mode's quality and speed against full depth on a calibration text, free-running (greedy,
 * interleaved with full depth) and teacher-forced. Exit 0 on success, 1 when the model or text cannot be read, 2 on a
 * usage error.
 */
public final class EvalCommand {
    static final String USAGE = "usage: eval [--model PATH] [--text FILE] [--mode M] [--policy SPEC] [--exit-layer K] "
            + "[--kv propagate|recompute] [--prune K] [--speedup R] [--draft D] [--draft-stop C] [--prompts N] "
            + "[--prompt-tokens P] [--new-tokens M] [--teacher-tokens T] [--warmup-tokens W] [--threads N] [--kernels auto|f32|f16] "
            + "[--device cpu|gpu|auto] [--tokenizer PATH] [--profile PROFILE.json] [--half all|first|second] "
            + "[--plugins DIR] [--json]";
    private static final Set<String> OPTIONS = options();

    private EvalCommand() {}

    public static void main(String[] args) {
        Harness.main(args, USAGE, EvalCommand::run);
    }

    static int run(String[] args, Path defaultModel, Path defaultText, PrintStream out, PrintStream err) {
        try {
            Flags f = new Flags("eval", args, OPTIONS, Set.of("json"));
            int teacherTokens = f.integer("teacher-tokens", 20_000);
            EvalOptions options = EvalOptions.from(f, defaultModel, defaultText, teacherTokens);
            try (EvalSession s = EvalSession.open(options)) {
                Mode mode = s.mode(EvalOptions.modeOptions(f));
                s.warmUp(mode);
                FreeRunResult free = s.freeRunning(mode);
                ExitPolicy rule = teacherRule(mode, s.model.config().layers());
                TeacherResult teacher = rule == null || options.teacherTokens() == 0 ? null
                        : new TeacherForcing(s.model.transformer()).run(s.text.head(options.teacherTokens() + 1), rule);
                EvalRun run = new EvalRun(s.model.name(), s.model.config().layers(), s.engine, options.threads(), mode,
                        free, teacher);
                out.println(f.flag("json") ? EvalReport.json(run) : EvalReport.table(run));
            }
            return 0;
        } catch (Flags.UsageException | IllegalArgumentException e) {
            err.println(e.getMessage().startsWith("eval:") ? e.getMessage() : "eval: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (ModelLoadException | UncheckedIOException e) {
            err.println("eval: " + e.getMessage());
            return 1;
        }
    }

    /**
     * The per-token exit rule a mode applies, to teacher-force it: full depth exits at L (a static exit after the
     * last layer is never checked), static at k, early exit where its policy says. Skip and self-speculative have
     * none: their cost and quality only show free-running.
     */
    static ExitPolicy teacherRule(Mode mode, int layers) {
        if (mode instanceof Mode.Full) {
            return new StaticPolicy(layers);
        } else if (mode instanceof Mode.Static s) {
            return new StaticPolicy(s.exitLayer());
        } else if (mode instanceof Mode.EarlyExit e) {
            return e.policy();
        }
        return null;
    }

    private static Set<String> options() {
        Set<String> all = new HashSet<>(EvalOptions.NAMES);
        all.addAll(EvalOptions.MODE_NAMES);
        all.add("teacher-tokens");
        return Set.copyOf(all);
    }
}
