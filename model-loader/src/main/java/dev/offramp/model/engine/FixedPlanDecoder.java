package dev.offramp.model.engine;

import dev.offramp.model.Sequence;
import dev.offramp.model.Step;
import dev.offramp.model.Transformer;

/**
 * Modes where every token runs the same layers: {@code full} (all), {@code static} (the first k) and {@code skip}
 * (all but a balanced set of middle layers). The KV cache stays complete for the layers that run.
 */
final class FixedPlanDecoder {
    private final Transformer model;
    private final boolean[] run;  // run[l] for l in 1..L
    private final int exitLayer;

    FixedPlanDecoder(Transformer model, boolean[] run) {
        this.model = model;
        this.run = run;
        int last = 0;
        for (int l = 1; l < run.length; l++) {
            last = run[l] ? l : last;
        }
        this.exitLayer = last;
    }

    static FixedPlanDecoder of(Transformer model, Mode mode) {
        int layers = model.config().layers();
        boolean[] run = new boolean[layers + 1];
        if (mode instanceof Mode.Skip skip) {
            run = SkipPlan.kept(layers, skip.speedup());
        } else {
            int depth = mode instanceof Mode.Static s ? s.exitLayer() : layers;
            for (int l = 1; l <= depth; l++) {
                run[l] = true;
            }
        }
        return new FixedPlanDecoder(model, run);
    }

    /** The prompt at full depth, as the dynamic modes start: returns the first generated token. */
    static int prefill(Transformer model, Sequence seq, int[] prompt, Sampler sampler, Tokens out) {
        int layers = model.config().layers();
        try (Step step = model.step(seq, prompt)) {
            for (int l = 1; l <= layers; l++) {
                step.runLayer(l);
            }
            out.layers += (long) layers * prompt.length;
            return sampler.sample(step.exitLogits()[0]);
        }
    }

    void decode(Sequence seq, int[] prompt, Sampler sampler, Tokens out) {
        int[] feed = prompt;
        while (true) {
            int next;
            try (Step step = model.step(seq, feed)) {
                for (int layer = 1; layer <= exitLayer; layer++) {
                    if (run[layer]) {
                        step.runLayer(layer);
                        out.layers += feed.length;
                    } else {
                        step.skipLayer(layer);
                    }
                }
                next = sampler.sample(step.exitLogits()[0]);
            }
            if (!out.add(next, exitLayer)) {
                return;
            }
            feed = new int[] {next};
        }
    }
}
