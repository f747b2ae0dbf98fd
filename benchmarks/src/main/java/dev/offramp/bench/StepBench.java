package dev.offramp.bench;

import dev.offramp.model.DeviceChoice;
import dev.offramp.model.KernelOptions;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.Product;
import dev.offramp.model.Sequence;
import dev.offramp.model.Step;
import dev.offramp.model.Transformer;
import dev.offramp.model.cli.UsageException;
import dev.offramp.model.cli.Version;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Sampler;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./offramp bench}: per model and kernel choice, the decode layer step at batch 1 beside its matrix products
 * alone, the exit (final norm + LM head) beside the head's product alone, full-depth greedy tokens/s (best of 10 runs
 * of 128 tokens), and the cost of a product over several rows relative to one row, per bucket; then each plan. Not a
 * test: the machines are shared and noisy, so compare rows measured in one run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Times the decode step per kernel and batch size.",
                       "Per model and --kernels choice: a layer step beside its matrix products, the exit, full-depth "
                               + "tokens/s and multi-row product costs, as a Markdown table; then each kernel plan."})
public final class StepBench implements Callable<Integer> {
    private static final int WARMUP_TOKENS = 600;
    private static final int STEPS = 400;
    private static final int GENERATE = 128;
    private static final int REPEATS = 10;
    private static final int PASSES = 50;

    @Option(names = "--threads", paramLabel = "N", description = "The most intra-op threads a matrix product may "
            + "use. Default: ${DEFAULT-VALUE}.")
    private int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--kernels", split = ",", paramLabel = "K", description = "The kernel choices measured, "
            + "comma-separated, each as --kernels of the other commands (auto, f32, f16, ...). Default: f32,auto.")
    private List<String> kernels = List.of("f32", "auto");

    @Option(names = "--device", paramLabel = "cpu|gpu|auto", description = "Where the models run. "
            + "Default: ${DEFAULT-VALUE}.")
    private String device = "auto";

    @Parameters(paramLabel = "MODEL", arity = "0..*", description = "The models measured. Default: the embedded "
            + "kjv-ee-12l and stories260K.")
    private List<Path> models;

    private final List<Path> defaultModels;
    private final PrintStream out;

    public StepBench(List<Path> defaultModels, PrintStream out) {
        this.defaultModels = List.copyOf(defaultModels);
        this.out = out;
    }

    @Override
    public Integer call() {
        DeviceChoice choice = DeviceChoice.parse(device);
        List<KernelOptions> kernelOptions = new ArrayList<>();  // every choice checked before anything runs
        for (String k : kernels) {
            try {
                kernelOptions.add(KernelOptions.parse(k, KernelOptions.userCacheDir()));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        DjlRuntime runtime = DjlRuntime.start(threads);
        out.println("engine: " + runtime.describe(choice) + ", at most " + threads + " threads");
        out.println("| model | kernels | layers | NDArrays kept per layer step | µs per layer step | µs of matrix "
                + "products per layer step | µs per exit (norm + LM head) | µs of the LM head product | full-depth "
                + "tokens/s (best of 10) | weights MiB | multi-row / one-row products: 2, 4, 8, 32 rows |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        Map<String, String> plans = new LinkedHashMap<>();
        for (Path m : models == null || models.isEmpty() ? defaultModels : models) {
            for (int i = 0; i < kernels.size(); i++) {
                try (LoadedModel model = LoadedModel.open(m, null, runtime, choice, kernelOptions.get(i))) {
                    measure(model, kernels.get(i));
                    plans.put(model.name() + ", --kernels " + kernels.get(i), model.transformer().kernelPlan().table());
                }
            }
        }
        plans.forEach((name, table) -> out.println("\n" + name + ":\n\n" + table));
        return 0;
    }

    private static int token(int[] prompt) {
        return prompt[prompt.length - 1];
    }

    private void measure(LoadedModel model, String kernels) {
        Transformer tf = model.transformer();
        int layers = tf.config().layers();
        int[] prompt = model.tokenizer().encode("Once upon a time");
        Generator gen = new Generator(tf, System::nanoTime);
        int warm = Math.min(WARMUP_TOKENS, tf.config().contextLength() - prompt.length);
        gen.generate(GenerationRequest.greedy(prompt, warm));

        int arraysPerLayer;
        try (Sequence seq = tf.newSequence(); Step step = tf.step(seq, token(prompt))) {
            int before = tf.liveArrays();
            step.runLayer(1);
            arraysPerLayer = tf.liveArrays() - before;  // what a layer step leaves in the step (its intermediates die)
        }
        long layerNanos = 0;
        long exitNanos = 0;
        int token = token(prompt);
        try (Sequence seq = tf.newSequence()) {
            for (int i = 0; i < STEPS; i++) {
                if (seq.length() == seq.context()) {
                    seq.crop(0);
                }
                try (Step step = tf.step(seq, token)) {
                    long t0 = System.nanoTime();
                    for (int l = 1; l <= layers; l++) {
                        step.runLayer(l);
                    }
                    long t1 = System.nanoTime();
                    token = Sampler.argmax(step.exitLogits()[0]);
                    long t2 = System.nanoTime();
                    layerNanos += t1 - t0;
                    exitNanos += t2 - t1;
                }
            }
        }
        double best = 0;
        for (int r = 0; r < REPEATS; r++) {
            GenerationResult res = gen.generate(GenerationRequest.greedy(prompt, GENERATE));
            best = Math.max(best, res.tokensPerSecond());
        }
        Set<Product> layer = EnumSet.of(Product.QKV, Product.O, Product.UP, Product.DOWN);
        double matrix = tf.matrixMicros(layer, 1, PASSES) / layers;
        double head = tf.matrixMicros(EnumSet.of(Product.HEAD), 1, PASSES);
        double one = tf.matrixMicros(EnumSet.allOf(Product.class), 1, PASSES);
        StringBuilder ratios = new StringBuilder();
        for (int rows : new int[] {2, 4, 8, 32}) {
            ratios.append(ratios.length() == 0 ? "" : ", ").append(String.format("%.2f",
                    tf.matrixMicros(EnumSet.allOf(Product.class), rows, PASSES) / one));
        }
        out.printf("| %s | %s | %d | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.1f | %s |%n", model.name(),
                kernels, layers, arraysPerLayer, layerNanos / 1e3 / STEPS / layers, matrix,
                exitNanos / 1e3 / STEPS, head, best, tf.matrixBytes() / 1048576.0, ratios);
    }
}
