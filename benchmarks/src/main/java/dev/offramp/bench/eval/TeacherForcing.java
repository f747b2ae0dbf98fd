package dev.offramp.bench.eval;

import dev.offramp.model.ForcedPass;
import dev.offramp.model.Transformer;
import dev.offramp.model.cli.Progress;
import dev.offramp.model.engine.ExitDecision;
import dev.offramp.model.engine.SignalMath;
import dev.offramp.policy.ExitPolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Teacher-forced exits: the text runs through every layer in windows of 256 positions (each a fresh sequence), and
 * each position exits where the policy would have let it go, by the engine's own {@link ExitDecision}: layers 1..L
 * in order, signals at the layers the policy's schedule declares, exit at the first yes, else at L. The schedule is
 * the policy's as declared, not as the engine's check-cost model may thin it: that is the policy calibration certifies.
 */
final class TeacherForcing {
    static final int WINDOW = 256;

    private final Transformer model;
    private final int layers;
    private final int vocab;
    private final int hidden;

    TeacherForcing(Transformer model) {
        this.model = model;
        this.layers = model.config().layers();
        this.vocab = model.config().vocab();
        this.hidden = model.config().hidden();
    }

    /** Per position of one window: the layer it left after, its argmax there and at L, and log p(next id) at each. */
    record Scores(int[] exitLayer, int[] exitArgmax, int[] fullArgmax, double[] exitLogProb, double[] fullLogProb) {}

    /** Scores positions 0..n-2 of {@code ids} against their next id; {@code progress} counts the windows. */
    TeacherResult run(int[] ids, ExitPolicy policy, Progress progress) {
        int window = Math.min(WINDOW, model.config().contextLength());
        long count = 0;
        long exitLayers = 0;
        long agree = 0;
        double exitNll = 0;
        double fullNll = 0;
        try (Progress.Bar bar = progress.start("teacher-forced", (ids.length - 2 + window) / window)) {
            for (int start = 0; start + 1 < ids.length; start += window) {
                int end = Math.min(start + window, ids.length - 1);
                Scores s = window(Arrays.copyOfRange(ids, start, end), Arrays.copyOfRange(ids, start + 1, end + 1),
                        policy);
                for (int t = 0; t < end - start; t++) {
                    exitLayers += s.exitLayer()[t];
                    agree += s.exitArgmax()[t] == s.fullArgmax()[t] ? 1 : 0;
                    exitNll -= s.exitLogProb()[t];
                    fullNll -= s.fullLogProb()[t];
                }
                count += end - start;
                bar.step();
                bar.figure(String.format(Locale.ROOT, "agreement %.3f, exit layer %.2f", (double) agree / count,
                        (double) exitLayers / count));
            }
        }
        return new TeacherResult(count, (double) exitLayers / count, Math.exp(exitNll / count),
                Math.exp(fullNll / count), (double) agree / count);
    }

    /** One fresh sequence over {@code x}; position t is scored against {@code targets[t]}. */
    Scores window(int[] x, int[] targets, ExitPolicy policy) {
        int n = x.length;
        Scores s = new Scores(new int[n], new int[n], new int[n], new double[n], new double[n]);
        ExitDecision[] decisions = new ExitDecision[n];
        for (int t = 0; t < n; t++) {
            decisions[t] = new ExitDecision(policy, layers, null);
        }
        boolean cosine = decisions[0].needsCosine();
        float[][] previous = new float[1][];  // the hidden states before the layer being read
        ForcedPass.run(model, x, layers, layer -> {
            int l = layer.layer();
            float[] h = cosine ? layer.hidden() : null;  // [n * hidden]; at 0, the embeddings before layer 1
            if (l == 0) {
                previous[0] = h;
                return;
            }
            boolean checks = decisions[0].checks(l);  // the same schedule for every position
            float[] logits = l == layers || (checks && decisions[0].needsLmHead()) ? layer.logits() : null;
            List<Integer> leaving = new ArrayList<>();
            for (int t = 0; t < n; t++) {
                if (s.exitLayer()[t] != 0) {
                    continue;
                }
                float cos = checks && cosine ? SignalMath.cosine(h, previous[0], t * hidden, hidden) : Float.NaN;
                if (l == layers || (checks && decisions[t].exits(l, t, logits, t * vocab, vocab, null, cos))) {
                    leaving.add(t);
                }
            }
            if (!leaving.isEmpty() && logits == null) {
                logits = layer.logits();  // [n * vocab]: a policy that needs no LM head still leaves by one
            }
            for (int t : leaving) {
                s.exitLayer()[t] = l;
                s.exitArgmax()[t] = SignalMath.argmax(logits, t * vocab, vocab);
                s.exitLogProb()[t] = SignalMath.logProb(logits, t * vocab, vocab, targets[t]);
            }
            for (int t = 0; t < n && l == layers; t++) {
                s.fullArgmax()[t] = SignalMath.argmax(logits, t * vocab, vocab);
                s.fullLogProb()[t] = SignalMath.logProb(logits, t * vocab, vocab, targets[t]);
            }
            previous[0] = h;
        });
        return s;
    }
}
