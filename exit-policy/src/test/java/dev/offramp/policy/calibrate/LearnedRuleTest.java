package dev.offramp.policy.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The learned post-hoc rule on a synthetic calibration set where the lowest-confidence token separates the labels. */
class LearnedRuleTest {
    private static final int N = 400;
    private final List<TokenUncertainty> answers = new ArrayList<>();
    private final boolean[] differs = new boolean[N];

    LearnedRuleTest() {
        // Every answer is mostly confident; those that differ hide one or two doubtful tokens, and length (5..60) is
        // unrelated to the label, which is what trips Chow-Sum.
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < N; i++) {
            differs[i] = i % 3 == 0;
            int length = 5 + random.nextInt(56);
            double[] top1 = new double[length];
            double[] logProbs = new double[length];
            for (int t = 0; t < length; t++) {
                top1[t] = 0.75 + 0.25 * random.nextDouble();
            }
            if (differs[i]) {
                int doubtful = 1 + random.nextInt(2);
                for (int d = 0; d < doubtful; d++) {
                    top1[random.nextInt(length)] = 0.2 + 0.35 * random.nextDouble();
                }
            }
            for (int t = 0; t < length; t++) {
                logProbs[t] = Math.log(top1[t]); // greedy decoding emits the top-1 token
            }
            answers.add(new TokenUncertainty(logProbs, top1));
        }
    }

    /** Area under the ROC curve of scores against the "differs" label (ties count half). */
    private double auc(DeferralRule rule) {
        double[] scores = answers.stream().mapToDouble(rule::score).toArray();
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                if (differs[i] && !differs[j]) {
                    pairs++;
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
            }
        }
        return wins / pairs;
    }

    @Test
    void separatesWhatAQuantileFeatureSeparates() {
        LearnedRule rule = LearnedRule.fit(answers, differs, 1.0);
        assertThat(rule.name()).isEqualTo("learned");
        assertThat(auc(rule)).isGreaterThan(0.99);
        assertThat(auc(rule)).isGreaterThan(auc(new ChowSum()));
        for (TokenUncertainty u : answers) {
            assertThat(rule.score(u)).isBetween(0.0, 1.0);
        }
        // Probabilities, not just a ranking: the mean score tracks the base rate of differing answers.
        double mean = answers.stream().mapToDouble(rule::score).average().orElseThrow();
        assertThat(mean).isBetween(0.28, 0.39);
    }

    @Test
    void isDeterministicAndRestorable() {
        LearnedRule first = LearnedRule.fit(answers, differs, 0.5);
        LearnedRule second = LearnedRule.fit(answers, differs, 0.5);
        assertThat(second.weights()).containsExactly(first.weights());
        assertThat(second.intercept()).isEqualTo(first.intercept());
        LearnedRule restored = new LearnedRule(first.means(), first.scales(), first.weights(), first.intercept());
        for (TokenUncertainty u : answers) {
            assertThat(restored.score(u)).isEqualTo(first.score(u));
        }
    }

    /** With no ridge the classes separate perfectly and the weights grow, but the fit stops finite. */
    @Test
    void stopsOnSeparableDataWithoutRidge() {
        LearnedRule rule = LearnedRule.fit(answers, differs, 0);
        assertThat(java.util.Arrays.stream(rule.weights()).allMatch(Double::isFinite)).isTrue();
        assertThat(auc(rule)).isGreaterThan(0.99);
    }

    /** Nothing to separate: every answer scores the smoothed base rate (differing + ½) / (n + 1). */
    @Test
    void oneLabelGivesAConstantScore() {
        boolean[] allDiffer = new boolean[N];
        java.util.Arrays.fill(allDiffer, true);
        LearnedRule never = LearnedRule.fit(answers, new boolean[N], 1);
        LearnedRule always = LearnedRule.fit(answers, allDiffer, 1);
        for (TokenUncertainty u : answers) {
            assertThat(never.score(u)).isCloseTo(0.5 / (N + 1), org.assertj.core.api.Assertions.within(1e-12));
            assertThat(always.score(u)).isCloseTo((N + 0.5) / (N + 1), org.assertj.core.api.Assertions.within(1e-12));
        }
    }

    @Test
    void featuresFollowTheDocumentedOrder() {
        TokenUncertainty u = new TokenUncertainty(new double[] {Math.log(0.5), Math.log(0.25)}, new double[] {0.5, 0.9});
        double[] f = LearnedRule.features(u);
        assertThat(f).hasSize(LearnedRule.FEATURES);
        assertThat(f[0]).isEqualTo(0.5);
        assertThat(f[5]).isCloseTo(0.7, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(f[10]).isEqualTo(0.9);
        assertThat(f[11]).isEqualTo((Math.log(0.5) + Math.log(0.25)) / 2);
        assertThat(f[12]).isEqualTo(Math.log1p(2));
        double[] empty = LearnedRule.features(new TokenUncertainty(new double[0], new double[0]));
        assertThat(empty).containsExactly(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0);
    }

    @Test
    void rejectsBadTrainingData() {
        assertThatThrownBy(() -> LearnedRule.fit(answers, new boolean[3], 1))
                .hasMessage("labels expected one per answer (400), found 3");
        assertThatThrownBy(() -> LearnedRule.fit(List.of(), new boolean[0], 1))
                .hasMessage("answers expected at least one, found none");
        assertThatThrownBy(() -> LearnedRule.fit(answers, differs, -1))
                .hasMessage("l2 expected finite and >= 0, found -1.0");
        double[] ok = new double[LearnedRule.FEATURES];
        assertThatThrownBy(() -> new LearnedRule(ok, ok, ok, 0)).hasMessage("scales[0] expected finite and > 0, found 0.0");
        assertThatThrownBy(() -> new LearnedRule(new double[2], ok, ok, 0)).hasMessage("means expected 13 values, found 2");
    }
}
