package dev.offramp.bench;

import dev.offramp.model.DeviceChoice;
import dev.offramp.model.KernelOptions;
import dev.offramp.model.Product;
import dev.offramp.model.DjlRuntime;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.Sequence;
import dev.offramp.model.Step;
import dev.offramp.model.Transformer;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Sampler;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./offramp bench [--threads N] [--kernels auto|f32|f16[,…]] MODEL...}: per model and kernel choice, the
 * decode layer step at batch 1 beside its matrix products alone, the exit (final norm + LM head) beside the head's
 * product alone, full-depth greedy tokens/s (best of 10 runs of 128 tokens), and the cost of a product over several
 * rows relative to one row, per bucket; then each plan. Not a test: the machines are shared and noisy, so compare
 * rows measured in one run.
 */
public final class StepBench {
    private static final int WARMUP_TOKENS = 600;
    private static final int STEPS = 400;
    private static final int GENERATE = 128;
    private static final int REPEATS = 10;
    private static final int PASSES = 50;

    private StepBench() {}

    static final String USAGE = "usage: bench [--threads N] [--kernels auto|f32|f16[,…]] [--device cpu|gpu|auto] "
            + "[MODEL ...]";

    public static void main(String[] args) throws Exception {
        if (dev.offramp.model.cli.Cli.helpOrVersion(args, USAGE, System.out)) {
            return;
        }
        int threads = Runtime.getRuntime().availableProcessors();
        DeviceChoice device = DeviceChoice.AUTO;
        List<String> kernels = List.of("f32", "auto");
        int first = 0;
        while (args.length >= first + 2 && args[first].startsWith("--")) {
            switch (args[first]) {
                case "--threads" -> threads = Integer.parseInt(args[first + 1]);
                case "--device" -> device = DeviceChoice.parse(args[first + 1]);
                case "--kernels" -> kernels = List.of(args[first + 1].split(","));
                default -> throw new IllegalArgumentException("bench: unknown option " + args[first]
                        + "; expected --threads N, --kernels auto|f32|f16[,…] or --device cpu|gpu|auto");
            }
            first += 2;
        }
        Path home = Path.of(System.getProperty("offramp.home", "."));
        String[] models = args.length > first ? java.util.Arrays.copyOfRange(args, first, args.length)
                : new String[] {home.resolve("models/kjv-ee-12l").toString(),
                                home.resolve("models/stories260K/stories260K.bin").toString()};
        DjlRuntime runtime = DjlRuntime.start(threads);
        System.out.println("engine: " + runtime.describe(device) + ", at most " + threads + " threads");
        System.out.println("| model | kernels | layers | NDArrays kept per layer step | µs per layer step | µs of matrix "
                + "products per layer step | µs per exit (norm + LM head) | µs of the LM head product | full-depth "
                + "tokens/s (best of 10) | weights MiB | multi-row / one-row products: 2, 4, 8, 32 rows |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        Map<String, String> plans = new LinkedHashMap<>();
        for (String m : models) {
            for (String k : kernels) {
                try (LoadedModel model = LoadedModel.open(Path.of(m), null, runtime, device,
                        KernelOptions.parse(k, KernelOptions.userCacheDir()))) {
                    measure(model, k);
                    plans.put(model.name() + ", --kernels " + k, model.transformer().kernelPlan().table());
                }
            }
        }
        plans.forEach((name, table) -> System.out.println("\n" + name + ":\n\n" + table));
    }

    private static int token(int[] prompt) {
        return prompt[prompt.length - 1];
    }

    private static void measure(LoadedModel model, String kernels) {
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
        System.out.printf("| %s | %s | %d | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.1f | %s |%n", model.name(),
                kernels, layers, arraysPerLayer, layerNanos / 1e3 / STEPS / layers, matrix,
                exitNanos / 1e3 / STEPS, head, best, tf.matrixBytes() / 1048576.0, ratios);
    }
}
