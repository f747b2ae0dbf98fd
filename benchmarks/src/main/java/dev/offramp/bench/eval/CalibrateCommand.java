package dev.offramp.bench.eval;

import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.ExitKnobs;
import dev.offramp.model.cli.UsageException;
import dev.offramp.model.cli.Version;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.model.engine.Profile;
import dev.offramp.policy.calibrate.LearnThenTest;
import dev.offramp.policy.calibrate.PValue;
import dev.offramp.policy.calibrate.RiskPoint;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./offramp calibrate}: the most aggressive threshold of an early-exit policy whose risk — the fraction of
 * generated tokens that differ from full depth's greedy choice given the same prefix — is certified at most epsilon
 * with confidence 1 - delta, by Learn-then-Test (Angelopoulos et al. 2021): fixed-sequence testing from the most
 * conservative threshold down, each measured free-running on prompts from (by default) the first half of the text.
 * Writes a profile that {@code generate}, {@code eval} and {@code serve} load with {@code --profile}. Exit 0 also when
 * nothing could be certified: the profile says so.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Certifies a policy threshold for a risk (writes PROFILE.json).",
                       "Learn-then-Test: the most aggressive threshold whose risk (tokens unlike full depth's greedy "
                               + "choice) is at most epsilon with confidence 1 - delta, tested most conservative "
                               + "first; exit 0 also when none is certified (the profile says so)."})
public final class CalibrateCommand implements Callable<Integer> {
    /** Each policy's threshold grid, most conservative (least exiting) first. */
    static final Map<String, String> GRIDS = Map.of(
            "confidence", "0.95,0.9,0.85,0.8,0.75,0.7,0.65,0.6,0.55,0.5,0.45,0.4,0.35,0.3,0.25,0.2",
            "margin", "0.9,0.8,0.7,0.6,0.5,0.4,0.3,0.25,0.2,0.15,0.1,0.07,0.05,0.03",
            "entropy", "0.05,0.1,0.2,0.3,0.5,0.75,1.0,1.25,1.5,2.0,2.5,3.0",
            "saturation", "0.9999,0.999,0.998,0.995,0.99,0.98,0.97,0.95,0.9");

    /** Skip's speed-up grid, most conservative first (static's is every exit layer from the deepest down). */
    static final String SKIP_GRID = "1.1,1.2,1.3,1.4,1.5,1.75,2,2.5,3";

    @Option(names = "--policy", paramLabel = "NAME|SPEC_WITH_{t}", description = "The early-exit policy: a name (its "
            + "threshold varies) or a spec with {t} where each value goes. Give this or --mode static|skip.")
    private String policy;

    @Option(names = "--mode", paramLabel = "early-exit|static|skip", description = "What is certified: an early-exit "
            + "policy's threshold (default), static's exit layer or skip's speed-up; a profile already at --out keeps "
            + "its other modes' certificates.")
    private String mode;

    @Option(names = "--epsilon", required = true, paramLabel = "E", description = "The risk to certify, in (0, 1).")
    private double epsilon;

    @Option(names = "--delta", required = true, paramLabel = "D", description = "One minus the confidence, in (0, 1).")
    private double delta;

    @Option(names = "--out", required = true, paramLabel = "PROFILE.json", description = "Where the profile goes.")
    private Path outFile;

    @Option(names = "--values", split = ",", paramLabel = "V", description = "The thresholds, "
            + "comma-separated, most conservative first. Default: a built-in grid for confidence, margin, entropy "
            + "and saturation; every exit layer from the deepest (static); " + SKIP_GRID + " (skip).")
    private List<String> values;

    @Option(names = "--p-value", paramLabel = "binomial|hoeffding-bentkus", description = "The p-value of each "
            + "threshold's risk. Default: binomial.")
    private String pValueName;

    @Mixin
    private ExitKnobs knobs = new ExitKnobs();

    @Mixin
    private HarnessOptions harness;


    public CalibrateCommand(CliContext context) {
        // The first half by default: the second stays unseen, to test the certificate on.
        this.harness = new HarnessOptions(context, "first", 50, 64);
    }

    @Override
    public Integer call() {
        PrintStream out = harness.out();
        String fixed = fixedMode();  // static or skip; null: an early-exit policy's threshold
        if (fixed == null && policy == null) {
            throw new UsageException("calibrate: expected --policy NAME|SPEC (or --mode static|skip), found none");
        }
        String template = fixed != null ? null : policy.contains("{t}") ? policy : policy + ":threshold={t}";
        String name = fixed != null ? fixed
                : template.substring(0, template.indexOf(':') < 0 ? template.length() : template.indexOf(':'));
        String builtIn = "skip".equals(fixed) ? SKIP_GRID : fixed == null ? GRIDS.get(name) : null;
        if (values == null && builtIn == null && !"static".equals(fixed)) {
            throw new UsageException("calibrate: --values needed for policy " + name + "; built-in grids: "
                    + GRIDS.keySet());
        }
        if (!(epsilon > 0 && epsilon < 1) || !(delta > 0 && delta < 1)) {
            throw new UsageException("calibrate: --epsilon and --delta: expected values in (0, 1), found "
                    + epsilon + " and " + delta);
        }
        PValue pValue = pValue(pValueName);
        try (EvalSession s = EvalSession.open(harness, harness.progress())) {
            Profile earlier = earlier(outFile, s.model.name(), epsilon, delta);  // refused before any run
            List<String> grid = values != null ? values.stream().map(String::strip).toList()
                    : builtIn != null ? List.of(builtIn.split(","))
                    : java.util.stream.IntStream.iterate(s.model.config().layers() - 1, k -> k >= 1, k -> k - 1)
                    .mapToObj(String::valueOf).toList();  // static: the deepest exit first
            List<Mode> modes = new ArrayList<>();  // every value checked before anything runs
            for (String v : grid) {
                modes.add(s.mode(modeOptions(fixed, template, v)));
            }
            s.warmUp(modes.get(0));
            out.printf("%s on %s: %d prompts of %d tokens from the %s half of %s, %d new tokens each; "
                    + "epsilon %s, delta %s, %s p-values%n", s.model.name(), s.engine, harness.prompts(),
                    harness.promptTokens(), harness.half(), harness.text(), harness.newTokens(), epsilon, delta,
                    pValue.name().toLowerCase(Locale.ROOT));
            String column = fixed == null ? "threshold" : "static".equals(fixed) ? "layer    " : "speed-up ";
            out.println(column + "  risk     p-value   layers/token  speed-up");
            List<RiskPoint> points = new ArrayList<>();
            List<Profile.GridPoint> measured = new ArrayList<>();
            long trials = (long) harness.prompts() * harness.newTokens();  // greedy, no stop id: all generated
            for (int i = 0; i < grid.size(); i++) {
                FreeRunResult r = s.freeRunning(modes.get(i), column.strip() + " " + grid.get(i) + " (" + (i + 1)
                        + " of " + grid.size() + ")");
                long errors = Math.round((1 - r.agreementPerToken()) * trials);
                double threshold = Double.parseDouble(grid.get(i));
                double p = pValue.of(errors, trials, epsilon);
                points.add(new RiskPoint(threshold, errors, trials));
                measured.add(new Profile.GridPoint(threshold, errors, trials, p, r.speedup(), r.layersPerToken()));
                out.printf(Locale.ROOT, "%-9s  %.4f  %.2e  %12.2f  %7.2fx%n", grid.get(i), (double) errors / trials,
                        p, r.layersPerToken(), r.speedup());
                if (p > delta) {
                    break;  // fixed-sequence testing stops at the first threshold it cannot certify
                }
            }
            LearnThenTest.Result chosen = LearnThenTest.calibrate(points, epsilon, delta, pValue);
            Profile.Data data = new Profile.Data(harness.text().toString(), harness.half(), harness.prompts(),
                    harness.promptTokens(), harness.newTokens(), trials);
            String p = pValue.name().toLowerCase(Locale.ROOT);
            Profile profile;
            String what;
            if (fixed == null) {
                profile = new Profile(s.model.name(),
                        chosen.certified() ? template.replace("{t}", grid.get(chosen.chosen())) : null,
                        knobs.kv() == null ? "recompute" : knobs.kv(), knobs.prune() == null ? 0 : knobs.prune(),
                        epsilon, delta, p, data, chosen.certified() ? (Double) chosen.point().risk() : null, measured,
                        earlier == null ? null : earlier.staticMode(), earlier == null ? null : earlier.skipMode());
                what = profile.policy();
            } else {
                Profile base = earlier != null ? earlier : new Profile(s.model.name(), null, "recompute", 0,
                        epsilon, delta, p, data, null, List.of());
                profile = base.with(fixed, chosen.certified() ? new Profile.Certified(
                        Double.parseDouble(grid.get(chosen.chosen())), chosen.point().risk(), measured) : null);
                what = chosen.certified() ? fixed + " " + grid.get(chosen.chosen()) : null;
            }
            write(profile, outFile);
            out.println(chosen.certified()
                    ? "certified: " + what + " (risk " + String.format(Locale.ROOT, "%.4f", chosen.point().risk())
                    + " <= " + epsilon + " with confidence " + (1 - delta) + "); wrote " + outFile
                    : "no " + (fixed == null ? "threshold" : fixed + " value") + " certified at epsilon " + epsilon
                    + ", delta " + delta + "; wrote " + outFile);
        }
        return 0;
    }

    /** --mode: null for early-exit (a policy's threshold), else static or skip, which take no policy knobs. */
    private String fixedMode() {
        if (mode == null || mode.equals("early-exit")) {
            return null;
        }
        if (!mode.equals("static") && !mode.equals("skip")) {
            throw new UsageException("calibrate: --mode: expected early-exit, static or skip, found " + mode);
        }
        if (policy != null || knobs.kv() != null || knobs.prune() != null) {
            throw new UsageException("calibrate: --policy, --kv and --prune are for early-exit; --mode " + mode
                    + " calibrates its " + (mode.equals("static") ? "exit layer" : "speed-up"));
        }
        return mode;
    }

    private ModeOptions modeOptions(String fixed, String template, String v) {
        if (fixed == null) {
            return new ModeOptions("early-exit", template.replace("{t}", v), null, knobs.kv(), knobs.prune(), null,
                    null, null);
        }
        try {
            return fixed.equals("static") ? new ModeOptions("static", null, Integer.valueOf(v), null, null, null, null,
                    null) : new ModeOptions("skip", null, null, null, null, Double.valueOf(v), null, null);
        } catch (NumberFormatException e) {
            throw new UsageException("calibrate: --values: expected " + (fixed.equals("static") ? "exit layers"
                    : "speed-ups") + ", found '" + v + "'");
        }
    }

    /**
     * The profile already at {@code file} for this model, whose other modes' certificates a new calibration keeps (one
     * file beside a model holds them all); null when there is none.
     */
    private static Profile earlier(Path file, String model, double epsilon, double delta) {
        if (!java.nio.file.Files.isRegularFile(file)) {
            return null;
        }
        Profile p = Profile.read(file);
        if (!p.model().equals(model)) {
            throw new UsageException("calibrate: --out " + file + " holds a profile of model " + p.model()
                    + "; expected " + model + " (or a new file)");
        }
        if (p.epsilon() != epsilon || p.delta() != delta) {
            throw new UsageException("calibrate: --out " + file + " was certified at epsilon " + p.epsilon()
                    + ", delta " + p.delta() + "; expected the same --epsilon and --delta (or a new file)");
        }
        return p;
    }

    private static PValue pValue(String name) {
        if (name == null || name.equals("binomial")) {
            return PValue.BINOMIAL;
        }
        if (name.equals("hoeffding-bentkus")) {
            return PValue.HOEFFDING_BENTKUS;
        }
        throw new UsageException("calibrate: --p-value: expected binomial or hoeffding-bentkus, found " + name);
    }

    private static void write(Profile profile, Path file) {
        try {
            if (file.toAbsolutePath().getParent() != null) {
                java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
            }
            profile.write(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write the profile: " + e.getMessage(), e);
        }
    }
}
