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
 * {@code ./offramp sweep}: the free-running eval of one early-exit policy at several values of a knob, written as
 * {@code PREFIX.csv} and a Pareto plot {@code PREFIX.png}. Full depth is measured beside every value, so each row's
 * speed-up compares runs taken side by side.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Runs eval over a policy threshold: PREFIX.csv and a Pareto plot PREFIX.png.",
                       "Free-running only; full depth is measured beside every value."})
public final class SweepCommand implements Callable<Integer> {
    @Option(names = "--policy", required = true, paramLabel = "SPEC_WITH_{t}", description = "The early-exit policy, "
            + "with {t} where each value goes, e.g. 'margin:threshold={t},min_layer=3'.")
    private String template;

    @Option(names = "--values", required = true, split = ",", paramLabel = "V", description = "The values put in "
            + "for {t}, comma-separated, in the order measured.")
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
        if (!template.contains("{t}")) {
            throw new UsageException("sweep: --policy expected a spec with {t} where each value goes, found "
                    + template);
        }
        List<String> vs = values.stream().map(String::strip).toList();
        try (EvalSession s = EvalSession.open(harness, harness.progress())) {
            List<Mode> modes = new ArrayList<>();  // every value checked before anything runs
            for (String v : vs) {
                modes.add(s.mode(new ModeOptions(null, template.replace("{t}", v), null, knobs.kv(), knobs.prune(),
                        null, null, null)));
            }
            s.warmUp(modes.get(0));
            out.printf("%s on %s: %d prompts of %d tokens, %d new tokens each%n", s.model.name(), s.engine,
                    harness.prompts(), harness.promptTokens(), harness.newTokens());
            out.println("value  agreement/token  layers/token  speed-up");
            List<SweepRow> rows = new ArrayList<>();
            for (int i = 0; i < vs.size(); i++) {
                FreeRunResult r = s.freeRunning(modes.get(i), "value " + vs.get(i) + " (" + (i + 1) + " of "
                        + vs.size() + ")");
                rows.add(new SweepRow(vs.get(i), template.replace("{t}", vs.get(i)), r));
                out.printf(Locale.ROOT, "%-6s %15.3f  %12.2f  %7.2fx%n", vs.get(i), r.agreementPerToken(),
                        r.layersPerToken(), r.speedup());
            }
            write(rows, template, prefix, out);
        }
        return 0;
    }

    private static void write(List<SweepRow> rows, String template, Path prefix, PrintStream out) {
        Path csv = Path.of(prefix + ".csv");
        Path png = Path.of(prefix + ".png");
        try {
            if (csv.toAbsolutePath().getParent() != null) {
                Files.createDirectories(csv.toAbsolutePath().getParent());
            }
            SweepCsv.write(rows, csv);
            ParetoPlot.write(rows, "early exit: " + template, png);
        } catch (IOException e) {
            throw new UncheckedIOException(prefix + ": cannot write the results: " + e.getMessage(), e);
        }
        out.println("wrote " + csv + " and " + png);
    }
}
