package dev.offramp.bench.eval;

import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.Progress;
import dev.offramp.model.cli.UsageException;
import dev.offramp.model.cli.Version;
import dev.offramp.policy.LearnedGate;
import dev.offramp.policy.calibrate.GateTrainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./offramp train-gate}: trains a {@link LearnedGate} (CALM's meta-classifier) on teacher-forced traces of
 * (by default) the first half of the text, so that {@code calibrate} and {@code eval --half second} measure it on text
 * it never saw.
 */
@Command(name = "train-gate", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Trains a learned exit gate on teacher-forced text (writes GATE).",
            "A logistic regression per checked layer over the signals there, predicting that the layer's argmax "
                    + "already equals the last layer's; use it as --policy 'learned:gate=GATE,threshold=T'."})
public final class TrainGateCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "GATE", description = "Where the gate is written.")
    private Path out;

    @Option(names = "--at", paramLabel = "3;6;9", description = "The layers it checks. Default: ${DEFAULT-VALUE}.")
    private String at = "3;6;9";

    @Option(names = "--prune", paramLabel = "K", description = "Later checks of a token score the first check's top "
            + "K tokens, as the engine's pruned checks do (0: off). Default: ${DEFAULT-VALUE}.")
    private int prune = 32;

    @Option(names = "--tokens", paramLabel = "T", description = "Tokens of the text traced. Default: "
            + "${DEFAULT-VALUE}.")
    private int tokens = 20_000;

    @Option(names = "--l2", paramLabel = "L", description = "The fit's ridge penalty. Default: ${DEFAULT-VALUE}.")
    private double l2 = 1.0;

    @Mixin
    private HarnessOptions harness;

    public TrainGateCommand(CliContext context) {
        this.harness = new HarnessOptions(context, "first", 1, 2);
    }

    @Override
    public Integer call() {
        PrintStream stdout = harness.out();
        if (prune < 0) {
            throw new UsageException("train-gate: --prune: expected >= 0, found " + prune);
        }
        if (tokens < 2) {
            throw new UsageException("train-gate: --tokens: expected >= 2, found " + tokens);
        }
        if (!(l2 >= 0 && Double.isFinite(l2))) {
            throw new UsageException("train-gate: --l2: expected a finite value >= 0, found " + l2);
        }
        try (EvalSession s = EvalSession.open(harness, harness.progress())) {
            int[] layers = layers(at, s.model.config().layers());
            int[] ids = s.text.head(Math.min(tokens + 1, s.text.length()));
            stdout.printf(Locale.ROOT, "%s: tracing %d tokens of the %s half of %s at layers %s (prune %d)%n",
                    s.model.name(), ids.length - 1, harness.half(), harness.text(), Arrays.toString(layers), prune);
            List<GateTrainer.Sample> samples;
            try (Progress.Bar bar = harness.progress().start("trace", ids.length - 1)) {
                int[] seen = {0};
                samples = new GateTrace(s.model.transformer()).run(ids, layers, prune, done -> {
                    for (; seen[0] < done; seen[0]++) {
                        bar.step();
                    }
                });
            }
            LearnedGate gate = GateTrainer.train(samples, prune, l2);
            for (int layer : gate.layerNumbers()) {
                long n = samples.stream().filter(x -> x.layer() == layer).count();
                long agree = samples.stream().filter(x -> x.layer() == layer && x.agrees()).count();
                stdout.printf(Locale.ROOT, "layer %2d: %d checks, %.3f already agree with the last layer%n", layer, n,
                        (double) agree / n);
            }
            write(out, gate.text());
            stdout.println("wrote " + out + " (" + samples.size() + " checks fitted); use it as --policy "
                    + "'learned:gate=" + out + ",threshold=T'");
        }
        return 0;
    }

    private static int[] layers(String text, int layers) {
        int[] at;
        try {
            at = Arrays.stream(text.split(";")).map(String::strip).mapToInt(Integer::parseInt).sorted().distinct()
                    .toArray();
        } catch (NumberFormatException e) {
            throw new UsageException("train-gate: --at: expected layers like 3;6;9, found '" + text + "'");
        }
        if (at.length == 0 || at[0] < 1 || at[at.length - 1] >= layers) {
            throw new UsageException("train-gate: --at: expected layers in 1.." + (layers - 1) + " of this " + layers
                    + "-layer model, found '" + text + "'");
        }
        return at;
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
}
