package dev.offramp.policy.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Chow-Sum, Chow-Average and quantile rules on answers small enough to score by hand. */
class DeferralRulesTest {
    /** p = 0.5, 0.25, 0.5, 1 for the emitted tokens; top-1 = 0.9, 0.5, 0.7, 0.3 (sorted 0.3, 0.5, 0.7, 0.9). */
    private static final TokenUncertainty FOUR = new TokenUncertainty(
            new double[] {Math.log(0.5), Math.log(0.25), Math.log(0.5), 0},
            new double[] {0.9, 0.5, 0.7, 0.3});
    private static final TokenUncertainty ONE = new TokenUncertainty(new double[] {Math.log(0.5)}, new double[] {0.5});
    private static final TokenUncertainty EMPTY = new TokenUncertainty(new double[0], new double[0]);

    private static TokenUncertainty answer(String which) {
        return switch (which) {
            case "four" -> FOUR;
            case "one" -> ONE;
            case "empty" -> EMPTY;
            default -> throw new IllegalArgumentException(which);
        };
    }

    @ParameterizedTest(name = "{0} on {1} = {2}")
    @CsvSource(delimiter = '|', textBlock = """
            chow-sum      | four  | 2.772588722239781
            chow-average  | four  | 0.6931471805599453
            quantile-0    | four  | 0.7
            quantile-0.1  | four  | 0.64
            quantile-0.25 | four  | 0.55
            quantile-0.5  | four  | 0.4
            quantile-1    | four  | 0.1
            chow-sum      | one   | 0.6931471805599453
            chow-average  | one   | 0.6931471805599453
            quantile-0    | one   | 0.5
            quantile-0.9  | one   | 0.5
            chow-sum      | empty | 0
            chow-average  | empty | 0
            quantile-0.1  | empty | 0
            """)
    void scoreHandComputedAnswers(String rule, String which, double expected) {
        DeferralRule parsed = DeferralRules.parse(rule);
        assertThat(parsed.name()).isEqualTo(rule);
        assertThat(parsed.score(answer(which))).isCloseTo(expected, within(1e-12));
    }

    /** The length bias: 100 confident tokens look worse than one doubtful token to Chow-Sum only. */
    @Test
    void onlyChowSumPenalisesLength() {
        double[] confident = new double[100];
        Arrays.fill(confident, 0.99);
        TokenUncertainty longSure = new TokenUncertainty(
                Arrays.stream(confident).map(Math::log).toArray(), confident);
        TokenUncertainty shortDoubtful = new TokenUncertainty(new double[] {Math.log(0.4)}, new double[] {0.4});
        assertThat(new ChowSum().score(longSure)).isGreaterThan(new ChowSum().score(shortDoubtful));
        assertThat(new ChowAverage().score(longSure)).isLessThan(new ChowAverage().score(shortDoubtful));
        assertThat(new QuantileRule(0.1).score(longSure)).isLessThan(new QuantileRule(0.1).score(shortDoubtful));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            chow-sum        | chow-sum
            ' chow-average' | chow-average
            quantile-0.10   | quantile-0.1
            quantile-0.0    | quantile-0
            quantile-1.0    | quantile-1
            quantile-.5     | quantile-0.5
            """)
    void parseNormalisesNames(String spec, String name) {
        assertThat(DeferralRules.parse(spec).name()).isEqualTo(name);
        assertThat(DeferralRules.parse(name).name()).isEqualTo(name);
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', textBlock = """
            learned      | deferral rule 'learned' needs training data: it is trained by the calibrate/cascade command (LearnedRule.fit), not parsed from a name
            quantile-abc | deferral rule quantile expected a number in [0, 1], found 'abc'
            quantile-1.5 | quantile expected in [0, 1], found 1.5
            quantile-NaN | quantile expected in [0, 1], found NaN
            chow         | deferral rule expected chow-sum, chow-average or quantile-<q in [0, 1]>, found 'chow'
            ''           | deferral rule expected chow-sum, chow-average or quantile-<q in [0, 1]>, found ''
            """)
    void parseRejectsOtherNames(String spec, String message) {
        assertThatThrownBy(() -> DeferralRules.parse(spec))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void tokenUncertaintyValidatesAndCopies() {
        assertThatThrownBy(() -> new TokenUncertainty(new double[] {-1}, new double[0]))
                .hasMessage("top1Probs expected the length of logProbs (1), found 0");
        assertThatThrownBy(() -> new TokenUncertainty(new double[] {0.1}, new double[] {0.5}))
                .hasMessage("logProbs[0] expected finite and <= 0, found 0.1");
        assertThatThrownBy(() -> new TokenUncertainty(new double[] {-1, Double.NEGATIVE_INFINITY}, new double[] {1, 1}))
                .hasMessage("logProbs[1] expected finite and <= 0, found -Infinity");
        assertThatThrownBy(() -> new TokenUncertainty(new double[] {-1}, new double[] {Double.NaN}))
                .hasMessage("top1Probs[0] expected in [0, 1], found NaN");
        // Float log-softmax rounding past a bound is tolerated.
        assertThat(new TokenUncertainty(new double[] {1e-7}, new double[] {1 + 1e-7}).length()).isEqualTo(1);

        double[] logProbs = {-0.5};
        TokenUncertainty u = new TokenUncertainty(logProbs, new double[] {0.7});
        logProbs[0] = -9;
        u.logProbs()[0] = -9;
        assertThat(u.logProbs()).containsExactly(-0.5);
        assertThat(u).isEqualTo(new TokenUncertainty(new double[] {-0.5}, new double[] {0.7}));
        assertThat(u.top1Quantiles(new double[] {0, 0.5, 1})).containsExactly(0.7, 0.7, 0.7);
    }
}
