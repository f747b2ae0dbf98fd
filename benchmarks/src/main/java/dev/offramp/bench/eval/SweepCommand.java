package dev.offramp.bench.eval;

import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.ExitKnobs;
import dev.offramp.model.cli.UsageException;
import dev.offramp.model.cli.Version;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./offramp sweep}: the free-running eval of early-exit policies, each at several values of a knob, written as
 * {@code PREFIX.csv} and a Pareto plot {@code PREFIX.png} with a curve per policy. Full depth is measured beside every
 * value, and every policy runs on the same prompts in the same run, so their curves compare side by side.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Runs eval over a policy threshold: PREFIX.csv and a Pareto plot PREFIX.png.",
                       "Free-running only; full depth is measured beside every value. Several --policy, each with "
                       + "its own --values, are measured on the same prompts and drawn as one curve each."})
public final class SweepCommand implements Callable<Integer> {
    @Option(names = "--policy", required = true, paramLabel = "SPEC_WITH_{t}", description = "The early-exit policy, "
            + "with {t} where each value goes, e.g. 'margin:threshold={t},min_layer=3'. Repeat it to compare policies.")
    private List<String> templates;

    @Option(names = "--values", required = true, paramLabel = "V,V,…", description = "The values put in for {t}, "
            + "comma-separated, in the order measured: one --values for each --policy, in the same order.")
    private List<String> values;

    @Option(names = "--out", required = true, paramLabel = "PREFIX", description = "Writes PREFIX.csv and "
            + "PREFIX.png.")
    private Path prefix;

    @Mixin
    private ExitKnobs knobs = new ExitKnobs();

    @Mixin
    private HarnessOptions harness;

    public SweepCommand(CliContext context) {
        this.harness = new HarnessOptions(context, "all", 50, 64);
    }

    @Override
    public Integer call() {
        PrintStream out = harness.out();
        System.setProperty("java.awt.headless", "true");  // the plot is drawn off-screen, with or without a display
        if (values.size() != templates.size()) {
            throw new UsageException("sweep: expected one --values for each --policy, found " + values.size()
                    + " for " + templates.size());
        }
        List<Point> points = new ArrayList<>();  // every value of every policy, in the order measured
        for (int p = 0; p < templates.size(); p++) {
            String template = templates.get(p);
            if (!template.contains("{t}")) {
                throw new UsageException("sweep: --policy expected a spec with {t} where each value goes, found "
                        + template);
            }
            for (String v : values.get(p).split(",")) {
                points.add(new Point(template, v.strip()));
            }
        }
        try (EvalSession s = EvalSession.open(harness, harness.progress())) {
            List<Mode> modes = new ArrayList<>();  // every value checked before anything runs
            for (Point p : points) {
                modes.add(s.mode(new ModeOptions(null, p.spec(), null, knobs.kv(), knobs.prune(), null, null,
                        null)));
            }
            s.warmUp(modes.get(0));
            out.printf("%s on %s: %d prompts of %d tokens, %d new tokens each%n", s.model.name(), s.engine,
                    harness.prompts(), harness.promptTokens(), harness.newTokens());
            out.println("value  agreement/token  layers/token  speed-up  policy");
            List<SweepRow> rows = new ArrayList<>();
            for (int i = 0; i < points.size(); i++) {
                Point p = points.get(i);
                FreeRunResult r = s.freeRunning(modes.get(i), "value " + p.value() + " (" + (i + 1) + " of "
                        + points.size() + ")");
                rows.add(new SweepRow(p.policy(), p.value(), p.spec(), r));
                out.printf(Locale.ROOT, "%-6s %15.3f  %12.2f  %7.2fx  %s%n", p.value(), r.agreementPerToken(),
                        r.layersPerToken(), r.speedup(), p.policy());
            }
            write(rows, prefix, out);
        }
        return 0;
    }

    /** One value of one policy: the template and what goes in for its {@code {t}}. */
    private record Point(String policy, String value) {
        String spec() {
            return policy.replace("{t}", value);
        }
    }

    private static void write(List<SweepRow> rows, Path prefix, PrintStream out) {
        Path csv = Path.of(prefix + ".csv");
        Path png = Path.of(prefix + ".png");
        try {
            if (csv.toAbsolutePath().getParent() != null) {
                Files.createDirectories(csv.toAbsolutePath().getParent());
            }
            SweepCsv.write(rows, csv);
            ParetoPlot.write(rows, png);
        } catch (IOException e) {
            throw new UncheckedIOException(prefix + ": cannot write the results: " + e.getMessage(), e);
        }
        out.println("wrote " + csv + " and " + png);
    }
}
