package dev.offramp.bench;

import dev.offramp.model.DeviceChoice;
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

/**
 * {@code ./offramp bench [--threads N] MODEL...}: per-layer decode step time, exit (final norm + LM head) time and
 * full-depth greedy tokens/s at batch 1 (best of 10 runs of 128 tokens), after a JIT warm-up, printed as markdown table rows. Not a test: the
 * machines are shared and noisy, so compare rows measured in one run.
 */
public final class StepBench {
    private static final int WARMUP_TOKENS = 600;
    private static final int STEPS = 400;
    private static final int GENERATE = 128;
    private static final int REPEATS = 10;

    private StepBench() {}

    public static void main(String[] args) throws Exception {
        int threads = 1;
        DeviceChoice device = DeviceChoice.AUTO;
        int first = 0;
        while (args.length >= first + 2 && args[first].startsWith("--")) {
            switch (args[first]) {
                case "--threads" -> threads = Integer.parseInt(args[first + 1]);
                case "--device" -> device = DeviceChoice.parse(args[first + 1]);
                default -> throw new IllegalArgumentException("bench: unknown option " + args[first]
                        + "; expected --threads N or --device cpu|gpu|auto");
            }
            first += 2;
        }
        Path home = Path.of(System.getProperty("offramp.home", "."));
        String[] models = args.length > first ? java.util.Arrays.copyOfRange(args, first, args.length)
                : new String[] {home.resolve("models/kjv-ee-12l").toString(),
                                home.resolve("models/stories260K/stories260K.bin").toString()};
        DjlRuntime runtime = DjlRuntime.start(threads);
        System.out.println("engine: " + runtime.describe(device) + ", threads " + threads);
        System.out.println("| model | layers | arrays per layer step | µs per layer step | µs per exit (norm + LM head) "
                + "| full-depth tokens/s (best of 10) |");
        System.out.println("|---|---|---|---|---|---|");
        for (String m : models) {
            try (LoadedModel model = LoadedModel.open(Path.of(m), null, runtime, device)) {
                measure(model);
            }
        }
    }

    private static int token(int[] prompt) {
        return prompt[prompt.length - 1];
    }

    private static void measure(LoadedModel model) {
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
            arraysPerLayer = tf.liveArrays() - before;  // every array one decode layer step allocates
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
        System.out.printf("| %s | %d | %d | %.0f | %.0f | %.0f |%n", model.name(), layers, arraysPerLayer,
                layerNanos / 1e3 / STEPS / layers, exitNanos / 1e3 / STEPS, best);
    }
}
