package dev.offramp.server.serve;

import dev.offramp.model.engine.Batch;

/**
 * Latency budgets: from what iterations cost lately (per decoder-layer call at this batch size, per LM-head pass, per
 * layer of K/V filled above an exit, and the rest of a step) and a request's time and tokens left, the deepest layer
 * its next token can afford. The request's own policy decides within that cap. Costs are measured online, as
 * exponential moving averages. A token capped at depth d costs about d layers, one head, and L - d K/V fills.
 */
public final class BudgetController {
    private static final double ALPHA = 0.1;
    private static final int[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, Integer.MAX_VALUE};
    private final int layers;
    private final int minLayer;
    private final double[] layerNanos = new double[BATCH_BUCKETS.length];  // per runLayer call, by batch size
    private double headNanos;
    private double kvFillNanos;  // per layer filled by propagation
    private double overheadNanos;

    /** @param minLayer the shallowest depth a budget may force (shallower exits are not worth their quality) */
    BudgetController(int layers, int minLayer) {
        if (minLayer < 1 || minLayer > layers) {
            throw new IllegalArgumentException("budget min layer: expected 1.." + layers + ", found " + minLayer);
        }
        this.layers = layers;
        this.minLayer = minLayer;
    }

    void observe(Batch.StepCost c) {
        if (c.layerCalls() > 0) {
            int b = bucket(c.rows());
            layerNanos[b] = ewma(layerNanos[b], (double) c.layerNanos() / c.layerCalls());
        }
        if (c.headCalls() > 0) {
            headNanos = ewma(headNanos, (double) c.headNanos() / c.headCalls());
        }
        if (c.kvFills() > 0) {
            kvFillNanos = ewma(kvFillNanos, (double) c.kvFillNanos() / c.kvFills());
        }
        if (c.nanos() > 0) {
            overheadNanos = ewma(overheadNanos,
                    Math.max(0, c.nanos() - c.layerNanos() - c.headNanos() - c.kvFillNanos()));
        }
    }

    /**
     * The deepest layer a request's next token may reach so that, at this cost, its {@code tokensLeft} tokens end by
     * its deadline; {@code minLayer} when none does (it will miss), all layers before anything was measured.
     */
    int cap(long now, long deadline, int tokensLeft, int batchRows) {
        double perLayer = estimate(bucket(batchRows));
        if (perLayer == 0) {
            return layers;
        }
        double perToken = (double) (deadline - now) / Math.max(1, tokensLeft);
        // d * layer + (L - d) * fill + head + overhead <= perToken
        double fill = Math.min(kvFillNanos, perLayer);
        int depth = (int) Math.floor((perToken - overheadNanos - headNanos - layers * fill) / (perLayer - fill));
        return Math.max(minLayer, Math.min(layers, depth));
    }

    /** This batch size's cost, or the nearest measured one. */
    private double estimate(int b) {
        for (int d = 0; d < BATCH_BUCKETS.length; d++) {
            if (b - d >= 0 && layerNanos[b - d] > 0) {
                return layerNanos[b - d];
            }
            if (b + d < BATCH_BUCKETS.length && layerNanos[b + d] > 0) {
                return layerNanos[b + d];
            }
        }
        return 0;
    }

    private static int bucket(int rows) {
        int b = 0;
        while (rows > BATCH_BUCKETS[b]) {
            b++;
        }
        return b;
    }

    private static double ewma(double old, double sample) {
        return old == 0 ? sample : old + ALPHA * (sample - old);
    }
}
