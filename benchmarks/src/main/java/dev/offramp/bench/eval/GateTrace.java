package dev.offramp.bench.eval;

import dev.offramp.model.ForcedPass;
import dev.offramp.model.Transformer;
import dev.offramp.model.engine.SignalMath;
import dev.offramp.policy.LayerSignals;
import dev.offramp.policy.LearnedGate;
import dev.offramp.policy.Signal;
import dev.offramp.policy.TokenState;
import dev.offramp.policy.calibrate.GateTrainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * The learned gate's training trace: the text teacher-forced through every layer in windows of
 * {@link TeacherForcing#WINDOW} positions; at each of the gate's layers every position's signals as the engine
 * computes them (the first check on the whole vocabulary, later ones, when pruning, on that check's top K), and the
 * label "this layer's argmax is the last layer's".
 */
final class GateTrace {
    private static final Set<Signal> ALL = EnumSet.allOf(Signal.class);

    private final Transformer model;
    private final int layers;
    private final int vocab;
    private final int hidden;

    GateTrace(Transformer model) {
        this.model = model;
        this.layers = model.config().layers();
        this.vocab = model.config().vocab();
        this.hidden = model.config().hidden();
    }

    /** Samples at {@code at} (ascending, below L) over positions 0..n-2 of {@code ids}; {@code progress} gets counts. */
    List<GateTrainer.Sample> run(int[] ids, int[] at, int prune, IntConsumer progress) {
        int window = Math.min(TeacherForcing.WINDOW, model.config().contextLength());
        List<GateTrainer.Sample> out = new ArrayList<>();
        for (int start = 0; start + 1 < ids.length; start += window) {
            int end = Math.min(start + window, ids.length - 1);
            out.addAll(window(Arrays.copyOfRange(ids, start, end), at, prune));
            progress.accept(end);
        }
        return out;
    }

    private List<GateTrainer.Sample> window(int[] x, int[] at, int prune) {
        int n = x.length;
        List<List<LayerSignals>> history = new ArrayList<>();
        List<List<double[]>> features = new ArrayList<>();
        int[][] kept = new int[n][];  // per position: the ids later checks score, after its first check
        for (int t = 0; t < n; t++) {
            history.add(new ArrayList<>());
            features.add(new ArrayList<>());
        }
        List<GateTrainer.Sample> out = new ArrayList<>();
        float[][] previous = new float[1][];  // the hidden states before the layer being read
        ForcedPass.run(model, x, layers, layer -> {
            int l = layer.layer();
            float[] h = layer.hidden();  // [n * hidden]; at 0, the embeddings before layer 1
            if (l == 0) {
                previous[0] = h;
                return;
            }
            boolean checks = Arrays.binarySearch(at, l) >= 0;
            float[] logits = checks || l == layers ? layer.logits() : null;  // [n * vocab]
            for (int t = 0; t < n && checks; t++) {
                float cos = SignalMath.cosine(h, previous[0], t * hidden, hidden);
                LayerSignals s;
                if (kept[t] == null) {
                    s = SignalMath.of(l, logits, t * vocab, vocab, null, ALL, cos);
                    kept[t] = prune > 0 ? topK(logits, t * vocab, vocab, prune) : null;
                } else {
                    float[] pruned = new float[kept[t].length];
                    for (int k = 0; k < pruned.length; k++) {
                        pruned[k] = logits[t * vocab + kept[t][k]];
                    }
                    s = SignalMath.of(l, pruned, 0, pruned.length, kept[t], ALL, cos);
                }
                history.get(t).add(s);
                features.get(t).add(LearnedGate.features(new TokenState(t, layers, history.get(t))));
            }
            if (l == layers) {
                for (int t = 0; t < n; t++) {
                    int last = SignalMath.argmax(logits, t * vocab, vocab);
                    for (int i = 0; i < history.get(t).size(); i++) {
                        LayerSignals s = history.get(t).get(i);
                        out.add(new GateTrainer.Sample(s.layer(), features.get(t).get(i), s.argmax() == last));
                    }
                }
            }
            previous[0] = h;
        });
        return out;
    }

    /** The ids of the row's k largest logits (the engine's pruned vocabulary after a first check). */
    private static int[] topK(float[] logits, int off, int n, int k) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[off + b], logits[off + a]));
        int[] ids = new int[Math.min(k, n)];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = order[i];
        }
        return ids;
    }
}
