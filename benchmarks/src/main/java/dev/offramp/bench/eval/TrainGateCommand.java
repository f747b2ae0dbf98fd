package dev.offramp.bench.eval;

import dev.offramp.model.ModelLoadException;
import dev.offramp.policy.LearnedGate;
import dev.offramp.policy.calibrate.GateTrainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ./offramp train-gate}: trains a {@link LearnedGate} (CALM's meta-classifier) on teacher-forced traces of
 * (by default) the first half of the text, so that {@code calibrate} and {@code eval --half second} measure it on text
 * it never saw. Exit 0 on success, 1 when a file cannot be read or written, 2 on a usage error. Its option handling is
 * {@link #options} and {@link GateFlags}, apart from the run, so that it moves with the other commands' flags.
 */
public final class TrainGateCommand {
    static final String USAGE = "usage: train-gate [--model PATH] [--text FILE] --out GATE [--at 3;6;9 (the layers it "
            + "checks)] [--prune K (32)] [--tokens T (20000)] [--l2 L (1.0)] [--half first|second|all] [--threads N] "
            + "[--kernels auto|f32|f16] [--device cpu|gpu|auto] [--tokenizer PATH]";
    private static final Set<String> OPTIONS = options();

    /** What the command reads besides the model and text. */
    record GateFlags(Path out, int[] at, int prune, int tokens, double l2) {
        static GateFlags of(Flags f, int layers) {
            int[] at = layers(f.string("at") == null ? "3;6;9" : f.string("at"), layers);
            int prune = f.integer("prune", 32);
            int tokens = f.integer("tokens", 20_000);
            Double l2 = f.number("l2");
            if (prune < 0) {
                throw new Flags.UsageException("train-gate: --prune: expected >= 0, found " + prune);
            }
            if (tokens < 2) {
                throw new Flags.UsageException("train-gate: --tokens: expected >= 2, found " + tokens);
            }
            if (l2 != null && !(l2 >= 0 && Double.isFinite(l2))) {
                throw new Flags.UsageException("train-gate: --l2: expected a finite value >= 0, found " + l2);
            }
            return new GateFlags(Path.of(f.required("out")), at, prune, tokens, l2 == null ? 1.0 : l2);
        }

        private static int[] layers(String text, int layers) {
            int[] at;
            try {
                at = Arrays.stream(text.split(";")).map(String::strip).mapToInt(Integer::parseInt).sorted().distinct()
                        .toArray();
            } catch (NumberFormatException e) {
                throw new Flags.UsageException("train-gate: --at: expected layers like 3;6;9, found '" + text + "'");
            }
            if (at.length == 0 || at[0] < 1 || at[at.length - 1] >= layers) {
                throw new Flags.UsageException("train-gate: --at: expected layers in 1.." + (layers - 1) + " of this "
                        + layers + "-layer model, found '" + text + "'");
            }
            return at;
        }
    }

    private TrainGateCommand() {}

    public static void main(String[] args) {
        Harness.main(args, USAGE, TrainGateCommand::run);
    }

    static int run(String[] args, Path defaultModel, Path defaultText, PrintStream out, PrintStream err) {
        try {
            Flags f = new Flags("train-gate", args, OPTIONS, Set.of());
            f.required("out");
            EvalOptions options = EvalOptions.from(f, defaultModel, defaultText, 0,
                    new EvalOptions.Defaults("first", 1, 2));
            try (EvalSession s = EvalSession.open(options)) {
                GateFlags g = GateFlags.of(f, s.model.config().layers());
                int[] ids = s.text.head(Math.min(g.tokens() + 1, s.text.length()));
                out.printf(Locale.ROOT, "%s: tracing %d tokens of the %s half of %s at layers %s (prune %d)%n",
                        s.model.name(), ids.length - 1, options.half(), options.text(), Arrays.toString(g.at()),
                        g.prune());
                List<GateTrainer.Sample> samples = new GateTrace(s.model.transformer()).run(ids, g.at(), g.prune(),
                        done -> err.printf("\rtrace %s %d/%d tokens", bar(done, ids.length - 1), done,
                                ids.length - 1));
                err.println();
                err.print("fit: " + samples.size() + " checks ...");
                LearnedGate gate = GateTrainer.train(samples, g.prune(), g.l2());
                err.println(" done");
                for (int layer : gate.layerNumbers()) {
                    long n = samples.stream().filter(x -> x.layer() == layer).count();
                    long agree = samples.stream().filter(x -> x.layer() == layer && x.agrees()).count();
                    out.printf(Locale.ROOT, "layer %2d: %d checks, %.3f already agree with the last layer%n", layer,
                            n, (double) agree / n);
                }
                write(g.out(), gate.text());
                out.println("wrote " + g.out() + "; use it as --policy 'learned:gate=" + g.out() + ",threshold=T'");
            }
            return 0;
        } catch (Flags.UsageException | IllegalArgumentException e) {
            err.println(e.getMessage().startsWith("train-gate:") ? e.getMessage() : "train-gate: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (ModelLoadException | UncheckedIOException e) {
            err.println("train-gate: " + e.getMessage());
            return 1;
        }
    }

    private static String bar(int done, int total) {
        int width = 30;
        int filled = (int) ((long) width * done / Math.max(1, total));
        return "[" + "#".repeat(filled) + " ".repeat(width - filled) + "]";
    }

    private static void write(Path file, String text) {
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write the gate: " + e.getMessage(), e);
        }
    }

    private static Set<String> options() {
        Set<String> all = new HashSet<>(EvalOptions.NAMES);
        all.removeAll(Set.of("prompts", "prompt-tokens", "new-tokens", "warmup-tokens", "plugins"));
        all.addAll(Set.of("out", "at", "prune", "tokens", "l2"));
        return Set.copyOf(all);
    }
}
