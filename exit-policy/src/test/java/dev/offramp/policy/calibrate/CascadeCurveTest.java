package dev.offramp.policy.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The cascade curve on four requests worked by hand. */
class CascadeCurveTest {
    // Scores sorted: 0.1, 0.4, 0.4, 0.9. The small member agrees on requests 0 and 2.
    private static final double[] SCORES = {0.4, 0.9, 0.1, 0.4};
    private static final boolean[] AGREES = {false, false, true, true};

    @Test
    void sweepsFromDeferNothingToDeferEverything() {
        List<CascadeCurvePoint> curve = CascadeCurve.sweep(SCORES, AGREES, 1, 10, 4);
        assertThat(curve).containsExactly(
                // keep all 4: threshold = max; nothing deferred; the small member's 2 of 4 agree
                new CascadeCurvePoint(0.9, 0, 0.5, 1),
                // keep 3: threshold 0.4 defers only 0.9 (request 1, which disagreed): 3 of 4 agree
                new CascadeCurvePoint(0.4, 0.25, 0.75, 3.5),
                // keep 2: the tie at 0.4 makes this the same operating point as the last
                new CascadeCurvePoint(0.4, 0.25, 0.75, 3.5),
                // keep 1: threshold 0.1 defers three; the kept request 2 agrees
                new CascadeCurvePoint(0.1, 0.75, 1, 8.5),
                // keep 0: just below the minimum defers everything
                new CascadeCurvePoint(Math.nextDown(0.1), 1, 1, 11));
    }

    @Test
    void turnsIntoRiskPointsMostConservativeFirst() {
        List<CascadeCurvePoint> curve = CascadeCurve.sweep(SCORES, AGREES, 1, 10, 2);
        assertThat(curve).extracting(CascadeCurvePoint::deferralRate).containsExactly(0.0, 0.25, 1.0);
        assertThat(CascadeCurve.riskPoints(curve, SCORES.length)).containsExactly(
                new RiskPoint(Math.nextDown(0.1), 0, 4),
                new RiskPoint(0.4, 1, 4),
                new RiskPoint(0.9, 2, 4));
    }

    /** End to end: many requests, a rule that ranks the disagreeing ones highest, and a certified threshold. */
    @Test
    void feedsLearnThenTest() {
        int n = 10_000;
        double[] scores = new double[n];
        boolean[] agrees = new boolean[n];
        for (int i = 0; i < n; i++) {
            scores[i] = (double) i / n;
            agrees[i] = i < 8_000; // the top 20% by score disagree
        }
        List<RiskPoint> risks = CascadeCurve.riskPoints(CascadeCurve.sweep(scores, agrees, 1, 4, 20), n);
        LearnThenTest.Result result = LearnThenTest.calibrate(risks, 0.05, 0.1, PValue.BINOMIAL);
        // Deferring 20% leaves no disagreement, 15% leaves 5% (not certifiable at ε = 0.05), so the sequence stops at 20%.
        assertThat(result.point().errors()).isZero();
        assertThat(result.threshold()).isEqualTo(0.7999);
        assertThat(result.chosen()).isEqualTo(16);
    }

    @Test
    void rejectsBadInput() {
        assertThatThrownBy(() -> CascadeCurve.sweep(new double[0], new boolean[0], 1, 1, 2))
                .hasMessage("scores expected at least one, found none");
        assertThatThrownBy(() -> CascadeCurve.sweep(SCORES, new boolean[2], 1, 1, 2))
                .hasMessage("smallAgrees expected one per score (4), found 2");
        assertThatThrownBy(() -> CascadeCurve.sweep(new double[] {Double.NaN}, new boolean[1], 1, 1, 2))
                .hasMessage("scores[0] expected finite, found NaN");
        assertThatThrownBy(() -> CascadeCurve.sweep(SCORES, AGREES, -1, 1, 2))
                .hasMessage("smallCost expected finite and >= 0, found -1.0");
        assertThatThrownBy(() -> CascadeCurve.sweep(SCORES, AGREES, 1, 1, 0))
                .hasMessage("points expected >= 1, found 0");
        assertThatThrownBy(() -> CascadeCurve.riskPoints(List.of(), 0)).hasMessage("n expected > 0, found 0");
    }
}
