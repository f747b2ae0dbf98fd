package dev.offramp.bench.eval;

import dev.offramp.model.ModelLoadException;
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
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./offramp calibrate}: the most aggressive threshold of an early-exit policy whose risk — the fraction of
 * generated tokens that differ from full depth's greedy choice given the same prefix — is certified at most epsilon
 * with confidence 1 - delta, by Learn-then-Test (Angelopoulos et al. 2021): fixed-sequence testing from the most
 * conservative threshold down, each measured free-running on prompts from (by default) the first half of the text.
 * Writes a profile that {@code generate}, {@code eval} and {@code serve} load with {@code --profile}. Exit 0 on
 * success (also when nothing could be certified: the profile says so), 1 when a file cannot be read or written, 2 on
 * a usage error.
 */
public final class CalibrateCommand {
    static final String USAGE = "usage: calibrate [--model PATH] [--text FILE] (--policy NAME|SPEC_WITH_{t} | --mode "
            + "static|skip) --epsilon E "
            + "--delta D --out PROFILE.json [--values v1,v2,... (most conservative first)] [--half first|second|all] "
            + "[--kv recompute|propagate] [--prune K] [--p-value binomial|hoeffding-bentkus] [--prompts N] "
            + "[--prompt-tokens P] [--new-tokens M] [--warmup-tokens W] [--threads N] [--kernels auto|f32|f16] [--device cpu|gpu|auto] "
            + "[--tokenizer PATH]";
    /** Each policy's threshold grid, most conservative (least exiting) first. */
    static final Map<String, String> GRIDS = Map.of(
            "confidence", "0.95,0.9,0.85,0.8,0.75,0.7,0.65,0.6,0.55,0.5,0.45,0.4,0.35,0.3,0.25,0.2",
            "margin", "0.9,0.8,0.7,0.6,0.5,0.4,0.3,0.25,0.2,0.15,0.1,0.07,0.05,0.03",
            "entropy", "0.05,0.1,0.2,0.3,0.5,0.75,1.0,1.25,1.5,2.0,2.5,3.0",
            "saturation", "0.9999,0.999,0.998,0.995,0.99,0.98,0.97,0.95,0.9");
    /** Skip's speed-up grid, most conservative first (static's is every exit layer from the deepest down). */
    static final String SKIP_GRID = "1.1,1.2,1.3,1.4,1.5,1.75,2,2.5,3";
    private static final Set<String> OPTIONS = options();

    private CalibrateCommand() {}

    public static void main(String[] args) {
        Harness.main(args, USAGE, CalibrateCommand::run);
    }

    static int run(String[] args, Path defaultModel, Path defaultText, PrintStream out, PrintStream err) {
        try {
            Flags f = new Flags("calibrate", args, OPTIONS, Set.of());
            String fixed = fixedMode(f);  // static or skip; null: an early-exit policy's threshold
            String policy = fixed == null ? f.required("policy") : null;
            String template = fixed != null ? null : policy.contains("{t}") ? policy : policy + ":threshold={t}";
            String name = fixed != null ? fixed
                    : template.substring(0, template.indexOf(':') < 0 ? template.length() : template.indexOf(':'));
            String grid = f.string("values") != null ? f.string("values")
                    : "skip".equals(fixed) ? SKIP_GRID : GRIDS.get(name);
            if (grid == null && !"static".equals(fixed)) {
                throw new Flags.UsageException("calibrate: --values needed for policy " + name + "; built-in grids: "
                        + GRIDS.keySet());
            }
            double epsilon = f.number("epsilon") == null ? Double.NaN : f.number("epsilon");
            double delta = f.number("delta") == null ? Double.NaN : f.number("delta");
            if (!(epsilon > 0 && epsilon < 1) || !(delta > 0 && delta < 1)) {
                throw new Flags.UsageException("calibrate: --epsilon and --delta: expected values in (0, 1), found "
                        + f.string("epsilon") + " and " + f.string("delta"));
            }
            PValue pValue = pValue(f.string("p-value"));
            Path outFile = Path.of(f.required("out"));
            // The first half by default: the second stays unseen, to test the certificate on.
            EvalOptions options = EvalOptions.from(f, defaultModel, defaultText, 0,
                    new EvalOptions.Defaults("first", EvalOptions.Defaults.EVAL.prompts(),
                            EvalOptions.Defaults.EVAL.newTokens()));
            try (EvalSession s = EvalSession.open(options)) {
                Profile earlier = earlier(outFile, s.model.name(), epsilon, delta);  // refused before any run
                List<String> values = grid != null ? List.of(grid.split(",")).stream().map(String::strip).toList()
                        : java.util.stream.IntStream.iterate(s.model.config().layers() - 1, k -> k >= 1, k -> k - 1)
                        .mapToObj(String::valueOf).toList();  // static: the deepest exit first
                List<Mode> modes = new ArrayList<>();  // every value checked before anything runs
                for (String v : values) {
                    modes.add(s.mode(knobs(fixed, template, v, f)));
                }
                s.warmUp(modes.get(0));
                out.printf("%s on %s: %d prompts of %d tokens from the %s half of %s, %d new tokens each; "
                        + "epsilon %s, delta %s, %s p-values%n", s.model.name(), s.engine, options.prompts(),
                        options.promptTokens(), options.half(), options.text(), options.newTokens(), epsilon, delta,
                        pValue.name().toLowerCase(Locale.ROOT));
                out.println((fixed == null ? "threshold" : "static".equals(fixed) ? "layer    " : "speed-up ")
                        + "  risk     p-value   layers/token  speed-up");
                List<RiskPoint> points = new ArrayList<>();
                List<Profile.GridPoint> measured = new ArrayList<>();
                long trials = (long) options.prompts() * options.newTokens();  // greedy, no stop id: all generated
                for (int i = 0; i < values.size(); i++) {
                    FreeRunResult r = s.freeRunning(modes.get(i));
                    long errors = Math.round((1 - r.agreementPerToken()) * trials);
                    double threshold = Double.parseDouble(values.get(i));
                    double p = pValue.of(errors, trials, epsilon);
                    points.add(new RiskPoint(threshold, errors, trials));
                    measured.add(new Profile.GridPoint(threshold, errors, trials, p, r.speedup(), r.layersPerToken()));
                    out.printf(Locale.ROOT, "%-9s  %.4f  %.2e  %12.2f  %7.2fx%n", values.get(i), (double) errors / trials,
                            p, r.layersPerToken(), r.speedup());
                    if (p > delta) {
                        break;  // fixed-sequence testing stops at the first threshold it cannot certify
                    }
                }
                LearnThenTest.Result chosen = LearnThenTest.calibrate(points, epsilon, delta, pValue);
                Profile.Data data = new Profile.Data(options.text().toString(), options.half(), options.prompts(),
                        options.promptTokens(), options.newTokens(), trials);
                String p = pValue.name().toLowerCase(Locale.ROOT);
                Profile profile;
                String what;
                if (fixed == null) {
                    profile = new Profile(s.model.name(),
                            chosen.certified() ? template.replace("{t}", values.get(chosen.chosen())) : null,
                            f.string("kv") == null ? "recompute" : f.string("kv"),
                            f.integer("prune") == null ? 0 : f.integer("prune"), epsilon, delta, p, data,
                            chosen.certified() ? (Double) chosen.point().risk() : null, measured,
                            earlier == null ? null : earlier.staticMode(), earlier == null ? null : earlier.skipMode());
                    what = profile.policy();
                } else {
                    Profile base = earlier != null ? earlier : new Profile(s.model.name(), null, "recompute", 0,
                            epsilon, delta, p, data, null, List.of());
                    profile = base.with(fixed, chosen.certified() ? new Profile.Certified(
                            Double.parseDouble(values.get(chosen.chosen())), chosen.point().risk(), measured) : null);
                    what = chosen.certified() ? fixed + " " + values.get(chosen.chosen()) : null;
                }
                write(profile, outFile);
                out.println(chosen.certified()
                        ? "certified: " + what + " (risk " + String.format(Locale.ROOT, "%.4f",
                        chosen.point().risk()) + " <= " + epsilon + " with confidence " + (1 - delta) + "); wrote "
                        + outFile
                        : "no " + (fixed == null ? "threshold" : fixed + " value") + " certified at epsilon " + epsilon
                        + ", delta " + delta + "; wrote " + outFile);
            }
            return 0;
        } catch (Flags.UsageException | IllegalArgumentException e) {
            err.println(e.getMessage().startsWith("calibrate:") ? e.getMessage() : "calibrate: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (ModelLoadException | UncheckedIOException e) {
            err.println("calibrate: " + e.getMessage());
            return 1;
        }
    }

    /** {@code --mode}: static or skip (their knob is calibrated), or absent/early-exit (a policy's threshold). */
    private static String fixedMode(Flags f) {
        String mode = f.string("mode");
        if (mode == null || mode.equals("early-exit")) {
            return null;
        }
        if (!mode.equals("static") && !mode.equals("skip")) {
            throw new Flags.UsageException("calibrate: --mode: expected early-exit, static or skip, found " + mode);
        }
        for (String knob : List.of("policy", "kv", "prune")) {
            if (f.string(knob) != null) {
                throw new Flags.UsageException("calibrate: --" + knob + " is for early-exit; --mode " + mode
                        + " calibrates its " + (mode.equals("static") ? "exit layer" : "speed-up"));
            }
        }
        return mode;
    }

    private static ModeOptions knobs(String fixed, String template, String v, Flags f) {
        if (fixed == null) {
            return new ModeOptions("early-exit", template.replace("{t}", v), null, f.string("kv"), f.integer("prune"),
                    null, null, null);
        }
        try {
            return fixed.equals("static") ? new ModeOptions("static", null, Integer.valueOf(v), null, null, null, null,
                    null) : new ModeOptions("skip", null, null, null, null, Double.valueOf(v), null, null);
        } catch (NumberFormatException e) {
            throw new Flags.UsageException("calibrate: --values: expected " + (fixed.equals("static") ? "exit layers"
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
            throw new Flags.UsageException("calibrate: --out " + file + " holds a profile of model " + p.model()
                    + "; expected " + model + " (or a new file)");
        }
        if (p.epsilon() != epsilon || p.delta() != delta) {
            throw new Flags.UsageException("calibrate: --out " + file + " was certified at epsilon " + p.epsilon()
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
        throw new Flags.UsageException("calibrate: --p-value: expected binomial or hoeffding-bentkus, found " + name);
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

    private static Set<String> options() {
        Set<String> all = new HashSet<>(EvalOptions.NAMES);
        all.addAll(Set.of("mode", "policy", "values", "kv", "prune", "out", "epsilon", "delta", "p-value"));
        return Set.copyOf(all);
    }
}
