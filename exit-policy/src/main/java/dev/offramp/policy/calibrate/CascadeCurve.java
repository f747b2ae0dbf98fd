package dev.offramp.policy.calibrate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The deferral-rate / agreement / cost trade-off of a two-member cascade as its deferral threshold sweeps.
 * Gupta et al. 2024, "Language Model Cascades: Token-level uncertainty and beyond" (arXiv:2404.10136).
 */
public final class CascadeCurve {
    private CascadeCurve() {
    }

    /**
     * Sweeps {@code points + 1} thresholds at score quantiles, from "defer nothing" (the largest score) to "defer
     * everything" (just below the smallest score). Point j aims at deferring j/points of the requests; tied scores can
     * make the realised rate lower, and the point reports the realised one.
     *
     * @param scores      per request, the deferral rule's score of the small member's answer (finite)
     * @param smallAgrees per request, whether the small member's answer equals the large member's
     * @param smallCost   cost of one small-member answer, ≥ 0
     * @param largeCost   cost of one large-member answer, ≥ 0
     * @param points      the number of steps, ≥ 1
     * @return points + 1 curve points, deferral rate non-decreasing
     */
    public static List<CascadeCurvePoint> sweep(double[] scores, boolean[] smallAgrees, double smallCost,
                                                double largeCost, int points) {
        Objects.requireNonNull(scores, "scores");
        Objects.requireNonNull(smallAgrees, "smallAgrees");
        int n = scores.length;
        if (n == 0) {
            throw new IllegalArgumentException("scores expected at least one, found none");
        }
        if (smallAgrees.length != n) {
            throw new IllegalArgumentException("smallAgrees expected one per score (" + n + "), found "
                    + smallAgrees.length);
        }
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(scores[i])) {
                throw new IllegalArgumentException("scores[" + i + "] expected finite, found " + scores[i]);
            }
        }
        requireCost("smallCost", smallCost);
        requireCost("largeCost", largeCost);
        if (points < 1) {
            throw new IllegalArgumentException("points expected >= 1, found " + points);
        }
        double[] sorted = scores.clone();
        Arrays.sort(sorted);
        List<CascadeCurvePoint> curve = new ArrayList<>(points + 1);
        for (int j = 0; j <= points; j++) {
            // Keep the `kept` lowest scores: the threshold is the largest of them, or just below the minimum.
            int kept = n - (int) Math.round((double) n * j / points);
            double threshold = kept == 0 ? Math.nextDown(sorted[0]) : sorted[kept - 1];
            int deferred = 0;
            int agree = 0;
            for (int i = 0; i < n; i++) {
                if (scores[i] > threshold) {
                    deferred++;
                    agree++; // a deferred request gets the large member's answer
                } else if (smallAgrees[i]) {
                    agree++;
                }
            }
            double rate = (double) deferred / n;
            curve.add(new CascadeCurvePoint(threshold, rate, (double) agree / n, smallCost + rate * largeCost));
        }
        return List.copyOf(curve);
    }

    /**
     * The curve as a {@link LearnThenTest} risk list with risk = 1 − agreement as errors / n, most conservative first
     * (most deferral first, so the reverse of {@link #sweep}'s order). Deferring more never lowers agreement, so
     * this order suits fixed-sequence testing.
     *
     * @param curve a curve from {@link #sweep}
     * @param n     the number of requests the curve was measured on
     */
    public static List<RiskPoint> riskPoints(List<CascadeCurvePoint> curve, long n) {
        Objects.requireNonNull(curve, "curve");
        if (n <= 0) {
            throw new IllegalArgumentException("n expected > 0, found " + n);
        }
        List<RiskPoint> risks = new ArrayList<>(curve.size());
        for (int i = curve.size() - 1; i >= 0; i--) {
            CascadeCurvePoint p = curve.get(i);
            // agreement was agree / n, so this rounding recovers the count exactly.
            long errors = Math.round((1 - p.agreement()) * n);
            risks.add(new RiskPoint(p.threshold(), errors, n));
        }
        return List.copyOf(risks);
    }

    private static void requireCost(String what, double cost) {
        if (!(cost >= 0 && Double.isFinite(cost))) {
            throw new IllegalArgumentException(what + " expected finite and >= 0, found " + cost);
        }
    }
}
