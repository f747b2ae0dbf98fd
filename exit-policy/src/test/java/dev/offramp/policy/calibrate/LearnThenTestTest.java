package dev.offramp.policy.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Fixed-sequence Learn then Test on synthetic risk curves whose right answer is known. */
class LearnThenTestTest {
    /** Points at thresholds 0.9, 0.8, … with the given risks, each measured on n trials. */
    private static List<RiskPoint> curve(long n, double... risks) {
        List<RiskPoint> points = new ArrayList<>();
        for (int i = 0; i < risks.length; i++) {
            points.add(new RiskPoint(0.9 - 0.1 * i, Math.round(risks[i] * n), n));
        }
        return points;
    }

    /**
     * Risk rising with aggressiveness, a million trials: every point clearly under ε = 0.05 is certified, the first at
     * or above ε is not.
     */
    @ParameterizedTest(name = "{0}: risks {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            BINOMIAL          | 0.001 0.01 0.03 0.045 0.05 0.08 0.2 | 3
            HOEFFDING_BENTKUS | 0.001 0.01 0.03 0.045 0.05 0.08 0.2 | 3
            BINOMIAL          | 0.001 0.01 0.03 0.045 0.049        | 4
            BINOMIAL          | 0.06 0.07                          | -1
            BINOMIAL          | 0.01 0.08 0.01 0.01                | 0
            HOEFFDING_BENTKUS | 0.01 0.08 0.01 0.01                | 0
            BINOMIAL          | 0.2 0.01 0.01                      | -1
            """)
    void certifiesTheLastPointClearlyBelowEpsilon(PValue pValue, String risks, int chosen) {
        double[] r = Arrays.stream(risks.split(" ")).mapToDouble(Double::parseDouble).toArray();
        List<RiskPoint> points = curve(1_000_000, r);
        LearnThenTest.Result result = LearnThenTest.calibrate(points, 0.05, 0.1, pValue);
        assertThat(result.chosen()).isEqualTo(chosen);
        assertThat(result.certified()).isEqualTo(chosen >= 0);
        if (chosen >= 0) {
            assertThat(result.point()).isEqualTo(points.get(chosen));
            assertThat(result.threshold()).isEqualTo(points.get(chosen).threshold());
        } else {
            assertThat(result.point()).isNull();
            assertThat(result.threshold()).isNaN();
        }
        double[] p = result.pValues();
        assertThat(p).hasSize(points.size());
        for (int i = 0; i < p.length; i++) {
            assertThat(p[i]).isEqualTo(pValue.of(points.get(i).errors(), points.get(i).trials(), 0.05));
        }
    }

    /** Ten trials cannot show a risk below 5% at δ = 0.1 — even with no errors (0.95^10 ≈ 0.60). */
    @ParameterizedTest
    @EnumSource(PValue.class)
    void tinySamplesCertifyNothing(PValue pValue) {
        LearnThenTest.Result result = LearnThenTest.calibrate(curve(10, 0, 0, 0.1), 0.05, 0.1, pValue);
        assertThat(result.chosen()).isEqualTo(-1);
        assertThat(result.point()).isNull();
        assertThat(result.threshold()).isNaN();
        assertThat(result.pValues()[0]).isGreaterThan(0.1);
    }

    /** The smallest n at which zero errors certify ε = 0.05 at δ = 0.1 is ⌈log 0.1 / log 0.95⌉ = 45. */
    @Test
    void zeroErrorsNeedLog10Over20Trials() {
        assertThat(LearnThenTest.calibrate(curve(44, 0), 0.05, 0.1, PValue.BINOMIAL).chosen()).isEqualTo(-1);
        assertThat(LearnThenTest.calibrate(curve(45, 0), 0.05, 0.1, PValue.BINOMIAL).chosen()).isZero();
    }

    /**
     * The guarantee itself: on a true risk curve crossing ε, the chosen threshold's true risk exceeds ε in at most
     * about δ of repeated calibrations.
     */
    @ParameterizedTest
    @EnumSource(PValue.class)
    void controlsTheFamilyWiseErrorBySimulation(PValue pValue) {
        double[] trueRisk = {0.02, 0.04, 0.05, 0.06, 0.1};
        double epsilon = 0.05;
        double delta = 0.1;
        int n = 2000;
        int runs = 2000;
        SplittableRandom random = new SplittableRandom(7);
        int failures = 0;
        for (int run = 0; run < runs; run++) {
            List<RiskPoint> points = new ArrayList<>();
            for (int j = 0; j < trueRisk.length; j++) {
                int errors = 0;
                for (int i = 0; i < n; i++) {
                    errors += random.nextDouble() < trueRisk[j] ? 1 : 0;
                }
                points.add(new RiskPoint(j, errors, n));
            }
            int chosen = LearnThenTest.calibrate(points, epsilon, delta, pValue).chosen();
            failures += chosen >= 0 && trueRisk[chosen] >= epsilon ? 1 : 0;
        }
        assertThat((double) failures / runs).isLessThanOrEqualTo(delta + 3 * Math.sqrt(delta * (1 - delta) / runs));
    }

    @Test
    void resultsAreValuesAndCopyTheirArrays() {
        double[] p = {0.01, 0.5};
        RiskPoint point = new RiskPoint(0.3, 1, 100);
        LearnThenTest.Result result = new LearnThenTest.Result(0, 0.3, p, point);
        p[0] = 0.9;
        result.pValues()[1] = 0.9;
        assertThat(result.pValues()).containsExactly(0.01, 0.5);
        assertThat(result).isEqualTo(new LearnThenTest.Result(0, 0.3, new double[] {0.01, 0.5}, point));
        assertThatThrownBy(() -> new LearnThenTest.Result(-1, 0.3, p, null))
                .hasMessage("threshold expected NaN, found 0.3");
        assertThatThrownBy(() -> new LearnThenTest.Result(0, Double.NaN, p, null))
                .hasMessageStartingWith("point expected null exactly when chosen = -1");
    }

    @Test
    void rejectsBadInput() {
        List<RiskPoint> points = curve(100, 0.01);
        assertThatThrownBy(() -> LearnThenTest.calibrate(List.of(), 0.05, 0.1, PValue.BINOMIAL))
                .hasMessage("risk points expected at least one, found none");
        assertThatThrownBy(() -> LearnThenTest.calibrate(points, 1.5, 0.1, PValue.BINOMIAL))
                .hasMessage("epsilon expected in (0, 1), found 1.5");
        assertThatThrownBy(() -> LearnThenTest.calibrate(points, 0.05, 0, PValue.BINOMIAL))
                .hasMessage("delta expected in (0, 1), found 0.0");
        assertThatThrownBy(() -> new RiskPoint(0.5, 11, 10))
                .hasMessage("errors expected in [0, trials = 10], found 11");
        assertThatThrownBy(() -> new RiskPoint(0.5, 0, 0)).hasMessage("trials expected > 0, found 0");
        assertThatThrownBy(() -> new RiskPoint(Double.NaN, 0, 1)).hasMessage("threshold expected a number, found NaN");
        assertThat(new RiskPoint(0.5, 3, 12).risk()).isEqualTo(0.25);
    }
}
