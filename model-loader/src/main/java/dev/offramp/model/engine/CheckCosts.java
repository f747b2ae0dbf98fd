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
 * (recompute) runs as one more row beside another token's: it costs that row's share of a two-row product.
 */
final class CheckCosts {
    static final double LAYER_OVERHEAD = 1.7;
    static final double EXIT_OVERHEAD = 1.3;
    private static final int REPEATS = 5;
    static final double MAX_CHECK = 2.0;

    /** µs per row of one layer's products and of the head, timed at a bucket's row count. */
    record PerRow(double layer, double head) {}

    interface Timer {
        PerRow time(Bucket b);
    }

    private final Timer timer;
    private final int vocab;
    private final Map<Bucket, PerRow> measured = new EnumMap<>(Bucket.class);

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
     * What a layer deferred by an exit costs when it runs later as an extra row beside another token's, as a fraction
     * of a layer: a two-row pass less a one-row pass, over a one-row pass (in [0, 1]).
     */
    double deferredRow() {
        double one = measured.computeIfAbsent(Bucket.ONE, timer::time).layer();
        double two = 2 * measured.computeIfAbsent(Bucket.FEW, timer::time).layer();
        return Math.max(0, Math.min(1, (two - one) / one));
    }

    /** A token's first and later checks, in layers, for {@code schedule} in a batch of {@code rows}. */
    CheckCostModel.Costs costs(int rows, Schedule schedule, int pruneVocab) {
        if (!schedule.needsLmHead()) {
            return new CheckCostModel.Costs(0, 0);
        }
        PerRow t = measured.computeIfAbsent(Bucket.of(rows), timer::time);
        double layer = t.layer() * LAYER_OVERHEAD;
        // one timing taken during a load spike once priced a check at 40 layers and switched a good schedule off:
        // an LM-head pass is measured at 0.2-0.8 of a layer on both models, so more than 2 is a timing outlier
        double full = Math.min(MAX_CHECK, t.head() * EXIT_OVERHEAD / layer);
        double pruned = pruneVocab > 0
                ? Math.min(full, t.head() * ((EXIT_OVERHEAD - 1) + Math.min(1.0, (double) pruneVocab / vocab)) / layer)
                : full;
        return new CheckCostModel.Costs(full, pruned);
    }
}
