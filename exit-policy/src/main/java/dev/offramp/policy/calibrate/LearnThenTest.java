package dev.offramp.policy.calibrate;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Learn then Test with fixed-sequence testing: the most aggressive threshold whose risk is certified ≤ ε.
 * Angelopoulos, Bates, Candès, Jordan, Lei 2021, "Learn then Test" (arXiv:2110.01052).
 *
 * <p>Each threshold j carries the null hypothesis H0_j: risk(λ_j) &gt; ε and a valid p-value p_j. Testing them in an
 * order fixed before seeing the data, rejecting while p_j ≤ δ and stopping at the first p_j &gt; δ, controls the
 * family-wise error rate at δ without any multiplicity correction. So with probability at least 1 − δ over the
 * calibration data, every certified threshold — in particular the chosen, most aggressive one — has true risk ≤ ε.
 *
 * <p>Assumptions: the order of the list does not depend on the calibration data, and the losses counted in each
 * {@link RiskPoint} are iid (exchangeable with the data the threshold will be used on). Tokens within one text are
 * <em>not</em> independent (a wrong token changes the prefix of the next ones, and hard passages cluster), so a
 * per-token risk certified on a few long texts overstates the effective sample size: count answers or documents, or
 * subsample well-separated tokens, when the guarantee must hold as stated.
 */
public final class LearnThenTest {
    private LearnThenTest() {
    }

    /**
     * The outcome of one calibration.
     *
     * @param chosen    index of the last certified point, or −1 when even the first is not certified
     * @param threshold that point's threshold, NaN when none is certified
     * @param pValues   one p-value per input point, in input order; those after the first p &gt; δ are reported for
     *                  diagnostics only and take no part in the decision
     * @param point     the chosen point, null when none is certified
     */
    public record Result(int chosen, double threshold, double[] pValues, RiskPoint point) {
        public Result {
            pValues = Objects.requireNonNull(pValues, "pValues").clone();
            if (chosen < -1 || chosen >= pValues.length) {
                throw new IllegalArgumentException("chosen expected in [-1, " + pValues.length + "), found " + chosen);
            }
            if ((chosen == -1) != (point == null)) {
                throw new IllegalArgumentException("point expected null exactly when chosen = -1, found chosen "
                        + chosen + " with point " + point);
            }
            if (chosen == -1 ? !Double.isNaN(threshold) : threshold != point.threshold()) {
                throw new IllegalArgumentException("threshold expected " + (point == null ? "NaN" : point.threshold())
                        + ", found " + threshold);
            }
        }

        /** Whether any threshold was certified. */
        public boolean certified() {
            return chosen >= 0;
        }

        @Override
        public double[] pValues() {
            return pValues.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Result r && r.chosen == chosen && Double.compare(r.threshold, threshold) == 0
                    && Arrays.equals(r.pValues, pValues) && Objects.equals(r.point, point);
        }

        @Override
        public int hashCode() {
            return Objects.hash(chosen, threshold, Arrays.hashCode(pValues), point);
        }

        @Override
        public String toString() {
            return "Result[chosen=" + chosen + ", threshold=" + threshold + ", pValues=" + Arrays.toString(pValues)
                    + ", point=" + point + "]";
        }
    }

    /**
     * Fixed-sequence testing from index 0 (the most conservative threshold) towards the most aggressive.
     *
     * @param conservativeFirst thresholds ordered from the safest to the most aggressive, in an order fixed in advance
     * @param epsilon           the risk level ε in (0, 1)
     * @param delta             the error probability δ in (0, 1)
     * @param pValue            how each point's p-value is computed
     */
    public static Result calibrate(List<RiskPoint> conservativeFirst, double epsilon, double delta, PValue pValue) {
        Objects.requireNonNull(conservativeFirst, "conservativeFirst");
        Objects.requireNonNull(pValue, "pValue");
        if (conservativeFirst.isEmpty()) {
            throw new IllegalArgumentException("risk points expected at least one, found none");
        }
        if (!(epsilon > 0 && epsilon < 1)) {
            throw new IllegalArgumentException("epsilon expected in (0, 1), found " + epsilon);
        }
        if (!(delta > 0 && delta < 1)) {
            throw new IllegalArgumentException("delta expected in (0, 1), found " + delta);
        }
        double[] pValues = new double[conservativeFirst.size()];
        int chosen = -1;
        boolean testing = true;
        for (int i = 0; i < pValues.length; i++) {
            RiskPoint point = Objects.requireNonNull(conservativeFirst.get(i), "risk point " + i);
            pValues[i] = pValue.of(point.errors(), point.trials(), epsilon);
            // The first non-rejection ends the sequence: later points stay untested whatever their p-values.
            testing = testing && pValues[i] <= delta;
            if (testing) {
                chosen = i;
            }
        }
        if (chosen < 0) {
            return new Result(-1, Double.NaN, pValues, null);
        }
        RiskPoint point = conservativeFirst.get(chosen);
        return new Result(chosen, point.threshold(), pValues, point);
    }
}
