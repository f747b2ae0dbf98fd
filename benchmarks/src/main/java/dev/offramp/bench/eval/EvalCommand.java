package dev.offramp.bench.eval;

import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.ModeFlags;
import dev.offramp.model.cli.Version;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.ExitPolicy;
import dev.offramp.policy.StaticPolicy;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./offramp eval}: a mode's quality and speed against full depth on a calibration text, free-running (greedy,
 * interleaved with full depth) and teacher-forced.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Measures a mode against full depth on held-out text.",
                       "Free-running (greedy, interleaved with full depth prompt by prompt) and teacher-forced: "
                               + "agreement, layers per token, perplexity and speed-up, as a table or JSON."})
public final class EvalCommand implements Callable<Integer> {
    @Mixin
    private ModeFlags modeFlags = new ModeFlags();

    @Option(names = "--teacher-tokens", paramLabel = "T", description = "Teacher-forced positions of the text; 0 "
            + "skips that part. Default: ${DEFAULT-VALUE}.")
    private int teacherTokens = 20_000;

    @Option(names = "--json", description = "Print one JSON object instead of the table (and no progress bars).")
    private boolean json;

    @Mixin
    private HarnessOptions harness;


    public EvalCommand(CliContext context) {
        this.harness = new HarnessOptions(context, "all", 50, 64);
    }

    @Override
    public Integer call() {
        PrintStream out = harness.out();
        HarnessOptions.atLeast("--teacher-tokens", teacherTokens, 0);
        ModeOptions knobs = modeFlags.modeOptions("eval");
        try (EvalSession s = EvalSession.open(harness, harness.progress().unless(json))) {
            Mode mode = s.mode(knobs);
            s.warmUp(mode);
            FreeRunResult free = s.freeRunning(mode, "free-running");
            ExitPolicy rule = teacherRule(mode, s.model.config().layers());
            TeacherResult teacher = rule == null || teacherTokens == 0 ? null : s.teacherForced(teacherTokens, rule);
            EvalRun run = new EvalRun(s.model.name(), s.model.config().layers(), s.engine, harness.model().threads(),
                    mode, free, teacher);
            out.println(json ? EvalReport.json(run) : EvalReport.table(run));
        }
        return 0;
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
}
