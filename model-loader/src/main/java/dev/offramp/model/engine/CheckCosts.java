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
 * an exit 286–351 µs in a token, `bench`), so the estimate counted a third of what a check cost. A deferred layer is
 * priced from the steps too, once a few have run deferred rows: on stories260K a step that caught up 15 rows cost
 * 0.5–4 layers per deferred row-layer, 0.1–52 ms, where the products said at most one.
 */
final class CheckCosts {
    static final double LAYER_OVERHEAD = 1.7;
    static final double EXIT_OVERHEAD = 1.3;
    private static final int REPEATS = 5;
    static final double MAX_CHECK = 2.0;
    static final int OBSERVED = 64;
    static final double MAX_DEFERRED = 4.0;  // a step's deferred row-layers priced above 4 layers each: an outlier
    static final int DEFERRED_STEPS = 4;

    /** µs per row of one layer's products and of the head, timed at a bucket's row count. */
    record PerRow(double layer, double head) {}

    interface Timer {
        PerRow time(Bucket b);
    }

    private final Timer timer;
    private final int vocab;
    private final Map<Bucket, PerRow> measured = new EnumMap<>(Bucket.class);
    private final Map<Bucket, Observed> observed = new EnumMap<>(Bucket.class);

    /**
     * At one bucket of rows, running means over the batch's steps (a window, so that a change of load shows): a layer
     * call's time in steps that ran no deferred rows, an LM-head pass's, and what a deferred row-layer added to the
     * layer calls of the steps that ran some, in plain layer calls.
     */
    private static final class Observed {
        double layer;
        double head;
        double deferred;
        double kvFill;      // filling one layer's K/V above an exit (propagate), in plain layer calls
        int steps;          // with a layer call and an LM-head pass
        int plainSteps;     // of them, without deferred rows
        int deferredSteps;  // of them, with deferred rows, once a plain layer call had been timed
        int fillSteps;      // of them, with K/V filled, once a plain layer call had been timed

        void add(int layerCalls, long layerNanos, int headCalls, long headNanos, int deferredLayers, int kvFills,
                 long kvFillNanos) {
            head += ((double) headNanos / headCalls - head) / window(++steps);
            if (kvFills > 0 && plainSteps > 0 && layer > 0) {
                double fill = Math.min(1, (double) kvFillNanos / kvFills / layer);  // a fill is a layer's K and V
                kvFill += (fill - kvFill) / window(++fillSteps);
            }
            double perCall = (double) layerNanos / layerCalls;
            if (deferredLayers == 0) {
                layer += (perCall - layer) / window(++plainSteps);
            } else if (plainSteps > 0 && layer > 0) {
                // one step's excess, bounded: a GC pause inside a step once weighed 3,500 deferred row-layers
                double ratio = (layerNanos - layerCalls * layer) / deferredLayers / layer;
                deferred += (Math.max(0, Math.min(MAX_DEFERRED, ratio)) - deferred) / window(++deferredSteps);
            }
        }

        private static int window(int n) {
            return Math.min(n, 4 * OBSERVED);
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
     * row-layers it ran for rows that earlier exits deferred (recompute), which ride in those layer calls, and the
     * layers whose K/V it filled above exits (propagate) and what that took.
     */
    void observe(int rows, int layerCalls, long layerNanos, int headCalls, long headNanos, int deferredLayers,
                 int kvFills, long kvFillNanos) {
        if (layerCalls > 0 && headCalls > 0) {
            observed.computeIfAbsent(Bucket.of(Math.max(1, rows)), b -> new Observed())
                    .add(layerCalls, layerNanos, headCalls, headNanos, deferredLayers, kvFills, kvFillNanos);
        }
    }

    /**
     * What filling a skipped layer's K/V costs (propagate), in layers, as the batch's steps timed it at this bucket;
     * 0 before any: it computes two of a layer's seven products.
     */
    double kvFill(int rows) {
        Observed o = observed.get(Bucket.of(rows));
        return o != null && o.fillSteps > 0 ? o.kvFill : 0;
    }

    /** A layer call's nanoseconds in the batch's steps at this bucket, without deferred rows; NaN before any. */
    double layerCallNanos(int rows) {
        Observed o = observed.get(Bucket.of(rows));
        return o != null && o.plainSteps > 0 ? o.layer : Double.NaN;
    }

    /**
     * What a layer deferred by an exit costs when it runs later beside another token's, in layers: the timed products'
     * estimate — a two-row pass less a one-row pass plus the rest of a layer step, over a one-row layer step (in
     * [0, 1]) — or, once {@link #DEFERRED_STEPS} steps with deferred rows have run at this bucket, what those rows
     * added to the steps' layer calls (up to {@link #MAX_DEFERRED}) where that is more. The steps' figure alone is no
     * floor: on stories260K an explorer's single row, caught up by the next token, measured 0.15–0.65, the 15 rows a
     * drift check catches up when every token exits 0.72–0.78, and yet those exits ran at 0.73–0.87× of full depth; a
     * model that priced them at the steps' figure kept them in 2 of 6 runs.
     */
    double deferredRow(int rows) {
        double one = measured.computeIfAbsent(Bucket.ONE, timer::time).layer();
        double two = 2 * measured.computeIfAbsent(Bucket.FEW, timer::time).layer();
        double rest = (LAYER_OVERHEAD - 1) * one;
        double products = Math.max(0, Math.min(1, (two - one + rest) / (one + rest)));
        Observed o = observed.get(Bucket.of(rows));
        return o != null && o.deferredSteps >= DEFERRED_STEPS ? Math.max(products, o.deferred) : products;
    }

    /** A token's first and later checks, in layers, for {@code schedule} in a batch of {@code rows}. */
    CheckCostModel.Costs costs(int rows, Schedule schedule, int pruneVocab) {
        if (!schedule.needsLmHead()) {
            return new CheckCostModel.Costs(0, 0);
        }
        Observed o = observed.get(Bucket.of(rows));
        double full;
        if (o != null && o.plainSteps >= OBSERVED && o.layer > 0) {
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
