package dev.offramp.model.engine;

import dev.offramp.model.ModelConfig;
import dev.offramp.model.Sequence;
import dev.offramp.model.Step;
import dev.offramp.model.Transformer;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/** The decode loop for one request: prefill, then one token per step, each leaving after its exit layer. */
public final class Generator {
    private final Transformer model;
    private final LongSupplier nanoTime;

    public Generator(Transformer model, LongSupplier nanoTime) {
        this.model = model;
        this.nanoTime = nanoTime;
    }

    public GenerationResult generate(GenerationRequest req) {
        ModelConfig c = model.config();
        int depth = depth(req, c);
        if (req.promptIds().length + req.maxTokens() - 1 > c.contextLength()) {
            throw new IllegalArgumentException("prompt of " + req.promptIds().length + " tokens + " + req.maxTokens()
                    + " new tokens: expected at most the context length " + c.contextLength() + " in all");
        }
        Sampler sampler = new Sampler(req.temperature(), new SplittableRandom(req.seed()));
        int[] ids = new int[req.maxTokens()];
        int[] exits = new int[req.maxTokens()];
        int n = 0;
        long layers = 0;
        long t0 = nanoTime.getAsLong();
        try (Sequence seq = model.newSequence()) {
            int[] feed = req.promptIds();
            while (true) {
                int next;
                try (Step step = model.step(seq, feed)) {
                    // embed -> for each layer { forward } -> exit -> sample
                    for (int layer = 1; layer <= depth; layer++) {
                        step.runLayer(layer);
                    }
                    layers += (long) depth * feed.length;
                    next = sampler.sample(step.exitLogits()[0]);
                }
                if (req.stopAtEos() && c.isStop(next)) {
                    break;
                }
                ids[n] = next;
                exits[n] = depth;
                n++;
                if (n == req.maxTokens()) {
                    break;
                }
                feed = new int[] {next};
            }
        }
        long elapsed = nanoTime.getAsLong() - t0;
        return new GenerationResult(req.promptIds(), java.util.Arrays.copyOf(ids, n),
                java.util.Arrays.copyOf(exits, n), layers, elapsed);
    }

    private static int depth(GenerationRequest req, ModelConfig c) {
        if (req.mode() == Mode.FULL) {
            return c.layers();
        }
        if (req.exitLayer() < 1 || req.exitLayer() > c.layers()) {
            throw new IllegalArgumentException("exit layer: expected 1.." + c.layers() + ", found " + req.exitLayer());
        }
        return req.exitLayer();
    }
}
