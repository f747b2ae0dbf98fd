package dev.offramp.bench.eval;

import dev.offramp.model.ForcedPass;
import dev.offramp.model.Transformer;
import dev.offramp.model.cli.Progress;
import dev.offramp.model.engine.GenerationRequest;
import dev.offramp.model.engine.GenerationResult;
import dev.offramp.model.engine.Generator;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.SignalMath;
import dev.offramp.model.engine.SkipPlan;
import dev.offramp.policy.StrictPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Greedy generation in a mode against full depth on the same prompts, no stop id. The two are interleaved prompt by
 * prompt (full, then the mode) so that the noise of a shared machine hits both alike.
 */
final class FreeRunning {
    private final Transformer model;
    private final Generator generator;
    private final int layers;
    private final LongSupplier nanoTime;

    FreeRunning(Transformer model, LongSupplier nanoTime) {
        this.model = model;
        this.nanoTime = nanoTime;
        this.generator = new Generator(model, nanoTime);
        this.layers = model.config().layers();
    }

    /**
     * DJL's paths need thousands of steps of JIT warm-up before they are timed (ARCHITECTURE.md, "Facts"): both modes,
     * untimed, for {@code tokens} tokens and {@code nanos} at least.
     */
    void warmUp(List<int[]> prompts, int newTokens, Mode mode, int tokens, long nanos) {
        long start = nanoTime.getAsLong();
        for (int i = 0, done = 0; done < tokens || nanoTime.getAsLong() - start < nanos; i++, done += newTokens) {
            int[] prompt = prompts.get(i % prompts.size());
            generator.generate(GenerationRequest.greedy(prompt, newTokens, new Mode.Full()));
            generator.generate(GenerationRequest.greedy(prompt, newTokens, mode));
        }
    }

    /** {@code task}: the progress bar's name; it counts prompts and shows the agreement per token and speed so far. */
    FreeRunResult run(List<int[]> prompts, int newTokens, Mode mode, Progress progress, String task) {
        Tally full = new Tally();
        Tally m = new Tally();
        GenerationResult last = null;
        try (Progress.Bar bar = progress.start(task, prompts.size())) {
            for (int i = 0; i < prompts.size(); i++) {
                int[] prompt = prompts.get(i);
                // Alternately first and second, so that what runs before a side (the untimed agreement pass, the
                // other side) weighs on both alike: stories260K's identical static 5 read 0.58-1.00x overall with
                // full depth always first.
                Runnable fullDepth = () -> full.add(generator.generate(GenerationRequest.greedy(prompt, newTokens,
                        new Mode.Full())), promptLayers(new Mode.Full(), prompt.length, layers));
                if (i % 2 == 0) {
                    fullDepth.run();
                }
                GenerationResult r = generator.generate(GenerationRequest.greedy(prompt, newTokens, mode));
                m.add(r, promptLayers(mode, prompt.length, layers));
                if (i % 2 == 1) {
                    fullDepth.run();
                }
                m.sameChoice += sameChoice(prompt, r.ids());
                last = r;
                bar.step();
                bar.figure(String.format(Locale.ROOT, "agreement %.3f, %.1f tok/s",
                        (double) m.sameChoice / m.tokens, m.tokensPerSecond()));
            }
        }
        String costly = mode instanceof Mode.EarlyExit e && last.checkCost() != null
                ? last.checkCost().report(e.policy().toString(), e.policy() instanceof StrictPolicy) : null;
        if (costly != null) {
            System.err.println(costly);
        }
        return new FreeRunResult(prompts.size(), prompts.get(0).length, newTokens,
                Agreement.prefixRate(full.ids, m.ids), Agreement.overallRate(full.ids, m.ids),
                (double) m.sameChoice / m.tokens,
                m.perStep(m.layers), full.perStep(full.layers), m.perStep(m.exitChecks),
                (double) m.exitLayerSum / m.tokens, m.drafted, m.accepted, m.tokensPerSecond(),
                full.tokensPerSecond(), m.decodeTokensPerSecond(), full.decodeTokensPerSecond());
    }

    /**
     * How many of the mode's tokens equal full depth's greedy choice given the same prefix (the mode's own): one
     * untimed full-depth pass over prompt + generated ids.
     */
    private int sameChoice(int[] prompt, int[] ids) {
        int[] all = new int[prompt.length + ids.length - 1];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(ids, 0, all, prompt.length, ids.length - 1);
        int vocab = model.config().vocab();
        int[] same = {0};
        ForcedPass.run(model, all, layers, layer -> {
            if (layer.layer() < layers) {
                return;
            }
            float[] logits = layer.logits();
            for (int i = 0; i < ids.length; i++) {
                int pos = prompt.length - 1 + i;
                same[0] += SignalMath.argmax(logits, pos * vocab, vocab) == ids[i] ? 1 : 0;
            }
        });
        return same[0];
    }

    /** Layers the mode's prefill runs for the prompt: its own plan for static and skip, full depth otherwise. */
    static long promptLayers(Mode mode, int promptLength, int layers) {
        int depth = layers;
        if (mode instanceof Mode.Static s) {
            depth = s.exitLayer();
        } else if (mode instanceof Mode.Skip skip) {
            depth = 0;
            boolean[] kept = SkipPlan.kept(layers, skip.speedup());
            for (int l = 1; l <= layers; l++) {
                depth += kept[l] ? 1 : 0;
            }
        }
        return (long) depth * promptLength;
    }

    /** One side's sums over the prompts. */
    private static final class Tally {
        final List<int[]> ids = new ArrayList<>();
        long tokens;
        long steps;  // decode steps: every generated token but the first, which the prefill yields
        long layers;
        long exitChecks;
        long exitLayerSum;
        long drafted;
        long accepted;
        long nanos;
        long firstTokenNanos;  // of nanos: each prompt's prefill, to its first token
        long sameChoice;

        void add(GenerationResult r, long promptLayers) {
            ids.add(r.ids());
            tokens += r.ids().length;
            steps += r.ids().length - 1;
            layers += r.layersComputed() - promptLayers;
            exitChecks += r.exitChecks();
            for (int e : r.exitLayers()) {
                exitLayerSum += e;
            }
            drafted += r.drafted();
            accepted += r.accepted();
            nanos += r.decodeNanos();
            firstTokenNanos += r.firstTokenNanos();
        }

        double perStep(long total) {
            return (double) total / steps;
        }

        double tokensPerSecond() {
            return tokens * 1e9 / nanos;
        }

        double decodeTokensPerSecond() {
            return steps * 1e9 / (nanos - firstTokenNanos);
        }
    }
}
