package dev.offramp.model.engine;

import dev.offramp.model.Bucket;
import dev.offramp.model.Product;
import dev.offramp.model.Transformer;
import dev.offramp.policy.CheckCostModel;
import dev.offramp.policy.Schedule;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;

/**
 * What an exit check costs relative to a decoder layer at a batch size, from the kernel plan's own kernels timed on
 * this machine: the LM head's product against a layer's four (per row, at the bucket of the batch's rows), each
 * times the overhead measured around it — a layer step costs about 1.7× its products (attention, norms, JNI), an
 * exit about 1.3× its head product (the final norm, the logits read back), README "Measured". A pruned check scores
 * K rows of the head plus that overhead; a cosine-only check needs no LM head and is counted free. A deferred layer
 * (recompute) runs as one more row beside another token's: its share of a two-row product, plus the rest of a layer
 * step (attention, norms: {@link #LAYER_OVERHEAD} − 1 of the products), which every row pays whole.
 *
 * <p>Once the batch's own steps have run ({@link #observe}: {@link #OBSERVED} steps at a bucket), a full check is
 * priced from them instead: an LM-head pass's time against a layer's, as they ran. Timed alone, the head's product is
 * warm in the cache; in a token its weights come from memory after the layers' (kjv-ee-12l here: 81–86 µs alone,
 * an exit 286–351 µs in a token, `bench`), so the estimate counted a third of what a check cost.
 */
final class CheckCosts {
    static final double LAYER_OVERHEAD = 1.7;
    static final double EXIT_OVERHEAD = 1.3;
    private static final int REPEATS = 5;
    static final double MAX_CHECK = 2.0;
    static final int OBSERVED = 64;
    static final double MAX_DEFERRED = 4.0;  // a deferred layer priced above 4 layers is a timing outlier

    /** µs per row of one layer's products and of the head, timed at a bucket's row count. */
    record PerRow(double layer, double head) {}

    interface Timer {
        PerRow time(Bucket b);
    }

    private final Timer timer;
    private final int vocab;
    private final Map<Bucket, PerRow> measured = new EnumMap<>(Bucket.class);
    private final Map<Bucket, Observed> observed = new EnumMap<>(Bucket.class);

    /** Running means of a layer call's and an LM-head pass's time in the batch's steps at one bucket of rows. */
    private static final class Observed {
        double layer;
        double head;
        int steps;
        private final StepFit fit = new StepFit(4 * OBSERVED, OBSERVED / 4);

        StepFit steps() {
            return fit;
        }

        void add(double layerNanos, double headNanos) {
            steps++;
            int n = Math.min(steps, 4 * OBSERVED);  // a window, so that a change of load shows
            layer += (layerNanos - layer) / n;
            head += (headNanos - head) / n;
        }
    }

    CheckCosts(Timer timer, int vocab) {
        this.timer = timer;
        this.vocab = vocab;
    }

    /** Times the model's own products, once per bucket, when first asked (a few passes: milliseconds). */
    static CheckCosts of(Transformer model) {
        int layers = model.config().layers();
        EnumSet<Product> layer = EnumSet.of(Product.QKV, Product.O, Product.UP, Product.DOWN);
        return new CheckCosts(b -> {
            int rows = b.timedRows();
            return new PerRow(model.matrixMicros(layer, rows, REPEATS) / layers / rows,
                    model.matrixMicros(EnumSet.of(Product.HEAD), rows, REPEATS) / rows);
        }, model.config().vocab());
    }

    /**
     * One of the batch's steps over {@code rows} rows: its layer calls and LM-head passes and what they took, the
     * layers it ran for deferred rows, and what the whole step took.
     */
    void observe(int rows, int layerCalls, long layerNanos, int headCalls, long headNanos, int deferredLayers,
                 long carryNanos, long stepNanos) {
        if (layerCalls > 0 && headCalls > 0) {
            Observed o = observed.computeIfAbsent(Bucket.of(Math.max(1, rows)), b -> new Observed());
            o.add((double) layerNanos / layerCalls, (double) headNanos / headCalls);
            if (stepNanos > 0) {
                o.steps().add(layerCalls, deferredLayers, stepNanos - headNanos - carryNanos);
            }
        }
    }

    /** A layer call's nanoseconds in the batch's steps at this bucket (fitted, else timed alone); NaN before any. */
    double layerCallNanos(int rows) {
        Observed o = observed.get(Bucket.of(rows));
        StepFit.Fitted f = o == null ? null : o.steps().fitted();
        return f != null ? f.layerCallNanos() : o != null ? o.layer : Double.NaN;
    }

    /**
     * What a layer deferred by an exit costs when it runs later beside another token's, as a fraction of a layer.
     * Once enough steps with and without deferred rows have run at this bucket, from them ({@link StepFit}): a deferred
     * row-layer's share of a step's time against a layer call's. Before that, from the timed
     * products: a two-row pass less a one-row pass plus the rest of a layer step, over a one-row layer step (in
     * [0, 1]).
     */
    double deferredRow(int rows) {
        Observed o = observed.get(Bucket.of(rows));
        StepFit.Fitted f = o == null ? null : o.steps().fitted();
        if (f != null) {
            return Math.max(0, Math.min(MAX_DEFERRED, f.deferredLayer()));
        }
        double one = measured.computeIfAbsent(Bucket.ONE, timer::time).layer();
        double two = 2 * measured.computeIfAbsent(Bucket.FEW, timer::time).layer();
        double rest = (LAYER_OVERHEAD - 1) * one;
        return Math.max(0, Math.min(1, (two - one + rest) / (one + rest)));
    }

    /** A token's first and later checks, in layers, for {@code schedule} in a batch of {@code rows}. */
    CheckCostModel.Costs costs(int rows, Schedule schedule, int pruneVocab) {
        if (!schedule.needsLmHead()) {
            return new CheckCostModel.Costs(0, 0);
        }
        Observed o = observed.get(Bucket.of(rows));
        double full;
        if (o != null && o.steps >= OBSERVED && o.layer > 0) {
            full = o.head / o.layer;
        } else {
            PerRow t = measured.computeIfAbsent(Bucket.of(rows), timer::time);
            full = t.head() * EXIT_OVERHEAD / (t.layer() * LAYER_OVERHEAD);
        }
        // one timing taken during a load spike once priced a check at 40 layers and switched a good schedule off:
        // an LM-head pass is measured at 0.2-0.9 of a layer on both models, so more than 2 is a timing outlier
        full = Math.min(MAX_CHECK, full);
        // a pruned check scores K of the head's rows; the rest of an exit (norm, reading back) it pays whole
        double pruned = pruneVocab > 0
                ? full * ((EXIT_OVERHEAD - 1) + Math.min(1.0, (double) pruneVocab / vocab)) / EXIT_OVERHEAD
                : full;
        return new CheckCostModel.Costs(full, pruned);
    }
}
