package dev.offramp.bench.eval;

import dev.offramp.model.ModelLoadException;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ./offramp sweep}: the free-running eval of one early-exit policy at several values of a knob, written as
 * {@code PREFIX.csv} and a Pareto plot {@code PREFIX.png}. Full depth is measured beside every value, so each row's
 * speed-up compares runs taken side by side. Exit 0 on success, 1 when a file cannot be read or written, 2 on a usage
 * error.
 */
public final class SweepCommand {
    static final String USAGE = "usage: sweep [--model PATH] [--text FILE] --policy SPEC_WITH_{t} --values v1,v2,... "
            + "--out PREFIX [--kv propagate|recompute] [--prune K] [--prompts N] [--prompt-tokens P] [--new-tokens M] "
            + "[--warmup-tokens W] [--threads N] [--kernels auto|f32|f16] [--device cpu|gpu|auto] [--tokenizer PATH]";
    private static final Set<String> OPTIONS = options();

    private SweepCommand() {}

    public static void main(String[] args) {
        Harness.main(args, USAGE, SweepCommand::run);
    }

    static int run(String[] args, Path defaultModel, Path defaultText, PrintStream out, PrintStream err) {
        System.setProperty("java.awt.headless", "true");  // the plot is drawn off-screen, with or without a display
        try {
            Flags f = new Flags("sweep", args, OPTIONS, Set.of());
            String template = f.required("policy");
            if (!template.contains("{t}")) {
                throw new Flags.UsageException("sweep: --policy expected a spec with {t} where each value goes, found "
                        + template);
            }
            List<String> values = List.of(f.required("values").split(",")).stream().map(String::strip).toList();
            Path prefix = Path.of(f.required("out"));
            EvalOptions options = EvalOptions.from(f, defaultModel, defaultText, 0);
            try (EvalSession s = EvalSession.open(options)) {
                List<Mode> modes = new ArrayList<>();  // every value checked before anything runs
                for (String v : values) {
                    modes.add(s.mode(new ModeOptions(null, template.replace("{t}", v), null, f.string("kv"),
                            f.integer("prune"), null, null, null)));
                }
                s.warmUp(modes.get(0));
                out.printf("%s on %s: %d prompts of %d tokens, %d new tokens each%n", s.model.name(), s.engine,
                        options.prompts(), options.promptTokens(), options.newTokens());
                out.println("value  agreement/token  layers/token  speed-up");
                List<SweepRow> rows = new ArrayList<>();
                for (int i = 0; i < values.size(); i++) {
                    FreeRunResult r = s.freeRunning(modes.get(i));
                    rows.add(new SweepRow(values.get(i), template.replace("{t}", values.get(i)), r));
                    out.printf(Locale.ROOT, "%-6s %15.3f  %12.2f  %7.2fx%n", values.get(i), r.agreementPerToken(),
                            r.layersPerToken(), r.speedup());
                }
                write(rows, template, prefix, out);
            }
            return 0;
        } catch (Flags.UsageException | IllegalArgumentException e) {
            err.println(e.getMessage().startsWith("sweep:") ? e.getMessage() : "sweep: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (ModelLoadException | UncheckedIOException e) {
            err.println("sweep: " + e.getMessage());
            return 1;
        }
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

    private static Set<String> options() {
        Set<String> all = new HashSet<>(EvalOptions.NAMES);
        all.addAll(Set.of("policy", "values", "kv", "prune", "out"));
        return Set.copyOf(all);
    }
}
