package dev.offramp.bench.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.offramp.model.ExitAdapters;
import dev.offramp.model.ExitTrainer;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.ModelOptions;
import dev.offramp.model.cli.Progress;
import dev.offramp.model.cli.UsageException;
import dev.offramp.model.cli.Version;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./offramp train-exits}: trains exit adapters for a model by self-distillation on one half of a text and
 * reports every layer's exit, before and after, on the other half (see {@link ExitTrainer}). Writes
 * {@code DIR/exit-adapters.safetensors}, its card {@code DIR/exit-adapters.json} and a checkpoint that
 * {@code --resume} continues from.
 */
@Command(name = "train-exits", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Trains exit adapters by self-distillation (exit-adapters.safetensors).",
            "A gain and a rank-r residual per layer before the final norm, trained from the model's last layer on "
                    + "one half of --text, the base weights frozen; reports each layer's exit before and after on "
                    + "the other half."})
public final class TrainExitsCommand implements Callable<Integer> {
    static final String CHECKPOINT = "train-exits.checkpoint.safetensors";

    @Option(names = "--text", paramLabel = "FILE", required = true, description = "The text: documents separated "
            + "by <|endoftext|> lines (else cut at the blank line nearest the middle), as eval reads it.")
    private Path text;

    @Option(names = "--half", paramLabel = "first|second", description = "The half trained on; the other is held out"
            + " and reported on (eval --half names the same cut). Default: ${DEFAULT-VALUE}.")
    private String half = "first";

    @Option(names = "--layers", paramLabel = "all|K,K-K", description = "The layers whose exits get adapters "
            + "(never the last). Default: ${DEFAULT-VALUE} (1..L-1).")
    private String layers = "all";

    @Option(names = "--rank", paramLabel = "R", description = "The rank of each adapter's residual; 0 trains the "
            + "gain alone. Default: ${DEFAULT-VALUE}.")
    private int rank = 16;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps in all (a resumed run counts its "
            + "checkpoint's). Default: ${DEFAULT-VALUE}.")
    private int steps = 400;

    @Option(names = "--batch", paramLabel = "B", description = "Positions per step. Default: ${DEFAULT-VALUE}.")
    private int batch = 256;

    @Option(names = "--learning-rate", paramLabel = "LR", description = "Adam's step size. Default: "
            + "${DEFAULT-VALUE}.")
    private double learningRate = 3e-3;

    @Option(names = "--seed", paramLabel = "S", description = "Seeds the initial adapters and every minibatch. "
            + "Default: ${DEFAULT-VALUE}.")
    private long seed;

    @Option(names = "--eval-every", paramLabel = "N", description = "Steps between held-out measurements (the loss "
            + "curve; two rises in a row warn of overfitting). Default: ${DEFAULT-VALUE}.")
    private int evalEvery = 50;

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Steps between checkpoints. Default: "
            + "${DEFAULT-VALUE}.")
    private int checkpointEvery = 100;

    @Option(names = "--held-out-tokens", paramLabel = "N", description = "The most held-out positions scored. "
            + "Default: ${DEFAULT-VALUE}.")
    private int heldOutTokens = 200_000;

    @Option(names = "--validation", paramLabel = "F", description = "The fraction of the training half cut from its "
            + "end and not trained on: a layer keeps its adapter only if it gets significantly more of the slice's "
            + "positions right than it gets wrong that the base exit had right (McNemar's test, p < 0.05; 0: keep "
            + "every adapter). Default: ${DEFAULT-VALUE}.")
    private double validation = 0.15;

    @Option(names = "--resume", description = "Continue from the checkpoint in --out (same options).")
    private boolean resume;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Where the adapters, their card and"
            + " the checkpoint are written (made if absent).")
    private Path out;

    @Mixin
    private ModelOptions modelOptions;

    private final PrintStream stdout;
    private final Progress progress;

    public TrainExitsCommand(CliContext context) {
        this.modelOptions = new ModelOptions(context.defaultModel(), "f32", Runtime.getRuntime().availableProcessors());
        this.stdout = context.out();
        this.progress = context.progress();
    }

    @Override
    public Integer call() throws Exception {
        check();
        modelOptions.validate();
        String raw = Files.readString(text);
        String other = half.equals("first") ? "second" : "first";
        try (LoadedModel model = modelOptions.load(modelOptions.model(),
                dev.offramp.model.ExitAdapterChoice.NONE, progress)) {
            int bos = model.config().bosId();
            int[] halfIds = ids(CalibrationText.tokenize(CalibrationText.half(raw, half), model.tokenizer(), bos));
            int[] heldIds = ids(CalibrationText.tokenize(CalibrationText.half(raw, other), model.tokenizer(), bos));
            int cut = validation == 0 ? halfIds.length : (int) Math.round(halfIds.length * (1 - validation));
            int[] trainIds = java.util.Arrays.copyOf(halfIds, cut);
            int[] validationIds = validation == 0 ? null
                    : java.util.Arrays.copyOfRange(halfIds, cut - 1, halfIds.length);  // its first id: context
            int[] chosen = parseLayers(layers, model.config().layers());
            ExitTrainer.Options options = new ExitTrainer.Options(chosen, rank, steps, batch, learningRate, seed);
            long t0 = System.nanoTime();
            try (ExitTrainer trainer = new ExitTrainer(model.transformer(), trainIds, validationIds, heldIds,
                    options)) {
                double passSeconds = (System.nanoTime() - t0) / 1e9;
                stdout.printf(Locale.ROOT, "train-exits: %d training positions (%s half), %d held out; layers %s,"
                        + " rank %d (%d parameters per layer); teacher-forced pass %.1f s%n",
                        trainer.trainPositions(), half, trainer.heldOutPositions(), java.util.Arrays.toString(chosen),
                        rank, ExitTrainer.parametersPerLayer(model.config().hidden(), rank), passSeconds);
                Files.createDirectories(out);
                Path checkpoint = out.resolve(CHECKPOINT);
                if (resume) {
                    trainer.resume(checkpoint);
                    stdout.println("train-exits: resumed at step " + trainer.stepsDone());
                }
                ExitTrainer.Quality before = trainer.quality(false, heldOutTokens);
                int curvePositions = Math.min(heldOutTokens, 4096);
                List<Map<String, Object>> curve = new ArrayList<>();
                Progress.Bar bar = progress.start("train-exits", steps - trainer.stepsDone());
                long tTrain = System.nanoTime();
                int first = trainer.stepsDone();
                double bestHeldOut = Double.POSITIVE_INFINITY;
                double trainLoss = Double.NaN;
                boolean warned = false;
                int rises = 0;
                while (trainer.stepsDone() < steps) {
                    trainLoss = trainer.step();
                    int s = trainer.stepsDone();
                    double elapsed = (System.nanoTime() - tTrain) / 1e9;
                    bar.step();
                    bar.figure(String.format(Locale.ROOT, "KL %.4f, %.0f positions/s", trainLoss,
                            (s - first) * (double) batch / elapsed));
                    if (s % evalEvery == 0 || s == steps) {
                        double held = meanKl(trainer.quality(true, curvePositions), chosen);
                        curve.add(Map.of("step", s, "train_kl", round(trainLoss), "held_out_kl", round(held)));
                        rises = held > bestHeldOut * 1.005 ? rises + 1 : 0;  // above noise: half a percent
                        if (rises == 2 && !warned) {  // twice in a row: a trend, not one minibatch's noise
                            System.err.printf(Locale.ROOT, "train-exits: warning: held-out KL rose twice in a row,"
                                    + " to %.4f at step %d (best %.4f): overfitting; fewer --steps, a smaller --rank or"
                                    + " more text%n",
                                    held, s, bestHeldOut);
                            warned = true;
                        }
                        bestHeldOut = Math.min(bestHeldOut, held);
                    }
                    if (s % checkpointEvery == 0 || s == steps) {
                        trainer.checkpoint(checkpoint);
                    }
                }
                bar.close();
                double trainSeconds = (System.nanoTime() - tTrain) / 1e9;
                List<ExitTrainer.Paired> pairs = validationIds == null ? null : trainer.validationPairs();
                int[] kept = pairs == null ? chosen  // chosen on text neither trained on nor held out
                        : pairs.stream().filter(TrainExitsCommand::helps).mapToInt(ExitTrainer.Paired::layer).toArray();
                Map<String, Object> selection = pairs == null ? null : selection(trainer, pairs, kept);
                ExitTrainer.Quality trained = trainer.quality(true, heldOutTokens);
                List<ExitTrainer.LayerQuality> afterLayers = new ArrayList<>();
                for (ExitTrainer.LayerQuality l : trained.layers()) {  // a dropped adapter's layer is the base's
                    afterLayers.add(has(kept, l.layer()) ? l : before.layers().get(l.layer() - 1));
                }
                ExitTrainer.Quality after = new ExitTrainer.Quality(trained.positions(), afterLayers);
                ExitAdapters adapters = new ExitAdapters(trainer.adapters().adapters().stream()
                        .filter(a -> has(kept, a.layer())).toList());
                Files.deleteIfExists(out.resolve(ExitAdapters.FILE_NAME));
                if (kept.length > 0) {
                    adapters.write(out.resolve(ExitAdapters.FILE_NAME));
                } else {
                    System.err.println("train-exits: no layer's adapter helped significantly on the validation "
                            + "slice (McNemar, p < " + SIGNIFICANCE + "); no " + ExitAdapters.FILE_NAME + " written");
                }
                long peak = peakRssBytes();
                Map<String, Object> card = new LinkedHashMap<>();
                card.put("base_model", modelOptions.model().toString());
                card.put("base_sha256", ExitAdapters.baseSha256(modelOptions.model()));
                card.put("family", model.config().family().name());
                card.put("hidden", model.config().hidden());
                card.put("model_layers", model.config().layers());
                card.put("layers", kept);
                card.put("trained_layers", chosen);
                card.put("selection", selection);
                card.put("rank", rank);
                card.put("steps", steps);
                card.put("batch", batch);
                card.put("learning_rate", learningRate);
                card.put("seed", seed);
                card.put("objective", "KL(p_L || q_k) per adapted layer k, summed; Adam; base weights frozen");
                card.put("text", text.toString());
                card.put("text_sha256", ExitAdapters.sha256(List.of(text)));
                card.put("trained_on_half", half);
                card.put("train_positions", trainer.trainPositions());
                card.put("held_out_positions", after.positions());
                card.put("kernels", modelOptions.kernels().label());
                card.put("threads", modelOptions.threads());
                card.put("train_seconds", round(trainSeconds));
                card.put("teacher_pass_seconds", round(passSeconds));
                card.put("peak_rss_mib", peak < 0 ? null : peak / 1048576);
                card.put("loss_curve", curve);
                card.put("held_out_before", quality(before));
                card.put("held_out_after", quality(after));
                card.put("version", new Version().getVersion()[0]);
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValue(out.resolve(ExitAdapters.CARD_NAME).toFile(), card);
                report(before, after, kept);
                stdout.printf(Locale.ROOT, "train-exits: %d steps in %.1f s (%.0f positions/s), peak RSS %s; wrote %s"
                        + " and %s%n", trainer.stepsDone() - first, trainSeconds,
                        (trainer.stepsDone() - first) * (double) batch / trainSeconds,
                        peak < 0 ? "unknown" : peak / 1048576 + " MiB",
                        kept.length > 0 ? out.resolve(ExitAdapters.FILE_NAME) : "no adapters",
                        out.resolve(ExitAdapters.CARD_NAME));
            }
        }
        return 0;
    }

    private static int[] ids(CalibrationText t) {
        return t.head(t.length());
    }

    private void check() {
        if (!half.equals("first") && !half.equals("second")) {
            throw new UsageException("--half: expected first or second, found " + half);
        }
        if (!Files.isRegularFile(text)) {
            throw new UsageException("--text: expected a text file, found none at " + text);
        }
        if (resume && !Files.isRegularFile(out.resolve(CHECKPOINT))) {
            throw new UsageException("--resume: expected a checkpoint at " + out.resolve(CHECKPOINT) + ", found none");
        }
        if (!(validation >= 0 && validation < 0.5)) {
            throw new UsageException("--validation: expected a fraction in [0, 0.5) of the training half, found "
                    + validation);
        }
        for (var e : Map.of("--eval-every", evalEvery, "--checkpoint-every", checkpointEvery,
                "--held-out-tokens", heldOutTokens).entrySet()) {
            if (e.getValue() < 1) {
                throw new UsageException(e.getKey() + ": expected an integer >= 1, found " + e.getValue());
            }
        }
    }

    /** The held-out table: each layer's agreement with the last and cross-entropy, before and after. */
    private void report(ExitTrainer.Quality before, ExitTrainer.Quality after, int[] chosen) {
        stdout.printf(Locale.ROOT, "held-out (%d positions)    before               after%n", after.positions());
        stdout.println("layer  adapted  agree    CE      KL      agree    CE      KL");
        for (int i = 0; i < before.layers().size(); i++) {
            ExitTrainer.LayerQuality b = before.layers().get(i);
            ExitTrainer.LayerQuality a = after.layers().get(i);
            boolean adapted = has(chosen, b.layer());
            stdout.printf(Locale.ROOT, "%5d  %-7s  %.4f  %6.3f  %6.3f  %.4f  %6.3f  %6.3f%n", b.layer(),
                    adapted ? "yes" : "-", b.agreement(), b.crossEntropy(), b.kl(), a.agreement(), a.crossEntropy(),
                    a.kl());
        }
    }

    static final double SIGNIFICANCE = 0.05;

    /** The card's record of the choice: the rule, each layer's paired counts, the slice's agreements, what was kept. */
    private Map<String, Object> selection(ExitTrainer trainer, List<ExitTrainer.Paired> pairs, int[] kept) {
        ExitTrainer.Quality vb = trainer.validationQuality(false, Integer.MAX_VALUE);
        ExitTrainer.Quality va = trainer.validationQuality(true, Integer.MAX_VALUE);
        Map<String, Object> selection = new LinkedHashMap<>();
        selection.put("rule", "keep a layer's adapter only if McNemar's one-sided p < " + SIGNIFICANCE + ": of the "
                + "slice's positions where exactly one of the base and adapted exits is right, significantly more are "
                + "the adapted exit's");
        selection.put("validation_positions", va.positions());
        selection.put("kept_layers", kept);
        selection.put("validation_pairs", pairs.stream().map(p -> Map.of("layer", p.layer(), "gained", p.gained(),
                "lost", p.lost(), "p_value", mcNemar(p))).toList());
        selection.put("validation_before", quality(vb));
        selection.put("validation_after", quality(va));
        stdout.printf(Locale.ROOT, "train-exits: validation (%d positions): kept layers %s%n", va.positions(),
                java.util.Arrays.toString(kept));
        return selection;
    }

    private static boolean has(int[] layers, int layer) {
        return IntStream.of(layers).anyMatch(l -> l == layer);
    }

    /** Whether an adapter helps its layer on the validation slice: McNemar's test at {@link #SIGNIFICANCE}. */
    static boolean helps(ExitTrainer.Paired p) {
        return p.gained() > p.lost() && mcNemar(p) < SIGNIFICANCE;
    }

    /**
     * P(as few lost as seen | no effect): among the positions where exactly one exit is right, each is the adapted
     * exit's or the base's with probability 1/2 when the adapter changes nothing (an exact binomial sign test).
     */
    static double mcNemar(ExitTrainer.Paired p) {
        long n = p.gained() + p.lost();
        return n == 0 ? 1.0 : dev.offramp.policy.calibrate.PValue.BINOMIAL.of(p.lost(), n, 0.5);
    }

    private static List<Map<String, Object>> quality(ExitTrainer.Quality q) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ExitTrainer.LayerQuality l : q.layers()) {
            out.add(Map.of("layer", l.layer(), "agreement", round(l.agreement()),
                    "cross_entropy", round(l.crossEntropy()), "kl", round(l.kl())));
        }
        return out;
    }

    private static double meanKl(ExitTrainer.Quality q, int[] layers) {
        return IntStream.of(layers).mapToDouble(l -> q.layers().get(l - 1).kl()).average().orElse(0);
    }

    private static double round(double x) {
        return Math.round(x * 1e5) / 1e5;
    }

    /** all, or a comma list of layers and ranges (3,5-7), each in 1..L-1. */
    static int[] parseLayers(String spec, int modelLayers) {
        if (spec.equals("all")) {
            return IntStream.range(1, modelLayers).toArray();
        }
        TreeSet<Integer> out = new TreeSet<>();
        for (String part : spec.split(",", -1)) {
            String[] ends = part.trim().split("-", -1);
            try {
                int lo = Integer.parseInt(ends[0].trim());
                int hi = ends.length == 2 ? Integer.parseInt(ends[1].trim()) : lo;
                if (ends.length > 2 || lo < 1 || hi >= modelLayers || lo > hi) {
                    throw new NumberFormatException();
                }
                IntStream.rangeClosed(lo, hi).forEach(out::add);
            } catch (NumberFormatException e) {
                throw new UsageException("--layers: expected all or layers and ranges within 1.." + (modelLayers - 1)
                        + " such as 1,3-4, found " + spec);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The process's peak resident set (VmHWM, Linux), or -1 where it cannot be read. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | UncheckedIOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
