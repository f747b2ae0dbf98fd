package dev.offramp.policy;

import java.util.Set;

/** Confidence threshold decaying along the sequence: Schuster et al. 2022, "Confident Adaptive Language Modeling". */
public final class DecayingPolicy implements ExitPolicy {
    static final String NAME = "decaying";

    private final float threshold;
    private final float tau;
    private final int horizon;
    private final LayerSet layers;
    private final Schedule schedule;

    /**
     * Exits once the top-1 probability reaches {@link #thresholdAt}: {@code threshold} λ in (0, 1], decay rate
     * {@code tau} τ >= 0, sequence {@code horizon} N >= 1.
     */
    public DecayingPolicy(float threshold, float tau, int horizon, LayerSet layers) {
        this.threshold = Specs.require(threshold > 0 && threshold <= 1, NAME, "threshold", "in (0, 1]", threshold);
        this.tau = Specs.require(tau >= 0 && Float.isFinite(tau), NAME, "tau", "finite and >= 0", tau);
        this.horizon = Specs.require(horizon >= 1, NAME, "horizon", ">= 1", horizon);
        this.layers = Specs.layers(layers);
        this.schedule = new Schedule(Set.of(Signal.TOP1_PROB), layers);
    }

    /** λ(t) = clamp(0.9·λ + 0.1·exp(−τ·t/N), 0, 1) for the token at 0-based position t. */
    public float thresholdAt(int position) {
        double decayed = 0.9 * threshold + 0.1 * Math.exp(-tau * (double) position / horizon);
        return (float) Math.min(1, Math.max(0, decayed));
    }

    public float threshold() {
        return threshold;
    }

    public float tau() {
        return tau;
    }

    public int horizon() {
        return horizon;
    }

    @Override
    public Schedule schedule() {
        return schedule;
    }

    @Override
    public boolean shouldExit(TokenState token) {
        return token.current().top1Prob() >= thresholdAt(token.position());
    }

    @Override
    public String toString() {
        return Specs.leaf(NAME, layers, "threshold=" + threshold + ",tau=" + tau + ",horizon=" + horizon);
    }
}
