package dev.offramp.policy.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** p-values against exact arithmetic, high-precision references, their own identities, and simulation. */
class PValueTest {
    private static final MathContext MC = new MathContext(60);

    /** P(Binom(n, ε) ≤ k) by summing C(n, j) ε^j (1 − ε)^(n−j) exactly in BigDecimal. */
    private static double exactCdf(int k, int n, String epsilon) {
        BigDecimal p = new BigDecimal(epsilon);
        BigDecimal q = BigDecimal.ONE.subtract(p);
        BigDecimal sum = BigDecimal.ZERO;
        BigDecimal choose = BigDecimal.ONE;
        for (int j = 0; j <= k; j++) {
            if (j > 0) {
                choose = choose.multiply(BigDecimal.valueOf(n - j + 1)).divide(BigDecimal.valueOf(j), MC);
            }
            sum = sum.add(choose.multiply(p.pow(j, MC), MC).multiply(q.pow(n - j, MC), MC), MC);
        }
        return sum.doubleValue();
    }

    /** The paper's formula written out plainly: min(exp(−n h1(min(r̂, ε), ε)), e · exact cdf). */
    private static double exactHoeffdingBentkus(int k, int n, String epsilon) {
        double eps = Double.parseDouble(epsilon);
        double a = Math.min((double) k / n, eps);
        double h1 = (a == 0 ? 0 : a * Math.log(a / eps)) + (1 - a) * Math.log((1 - a) / (1 - eps));
        return Math.min(1, Math.min(Math.exp(-n * h1), Math.E * exactCdf(k, n, epsilon)));
    }

    @ParameterizedTest(name = "k={0} n={1} eps={2}")
    @CsvSource(textBlock = """
            0, 1, 0.5
            0, 10, 0.05
            1, 10, 0.05
            2, 100, 0.05
            5, 100, 0.05
            10, 100, 0.05
            0, 100, 0.05
            99, 100, 0.05
            1, 50, 0.1
            3, 1000, 0.01
            40, 1000, 0.05
            120, 1000, 0.1
            0, 300, 0.3
            7, 300, 0.3
            150, 300, 0.5
            290, 300, 0.97
            0, 2000, 0.001
            """)
    void bothMatchExactArithmetic(int k, int n, String epsilon) {
        double eps = Double.parseDouble(epsilon);
        double binomial = PValue.BINOMIAL.of(k, n, eps);
        double hb = PValue.HOEFFDING_BENTKUS.of(k, n, eps);
        double exact = exactCdf(k, n, epsilon);
        assertThat(binomial).isCloseTo(exact, within(1e-13 + 1e-11 * exact));
        double exactHb = exactHoeffdingBentkus(k, n, epsilon);
        assertThat(hb).isCloseTo(exactHb, within(1e-13 + 1e-11 * exactHb));
        assertThat(hb).isGreaterThanOrEqualTo(binomial);
    }

    /** References from 50-digit arithmetic (mpmath), including n = 10^7 where naive log-gamma loses digits. */
    @ParameterizedTest(name = "k={0} n={1} eps={2}")
    @CsvSource(textBlock = """
            2,       100,      0.05,     0.11826298118512094,    0.29691895116700523
            40,      1000,     0.05,     0.080636573256691158,   0.21919293179287019
            499000,  10000000, 0.05,     0.073464108406118956,   0.19969615092429855
            500000,  10000000, 0.05,     0.50037624999833298,    1.0
            497000,  10000000, 0.05,     6.6216173726512983e-6,  1.799942217908675e-5
            0,       10000000, 0.000001, 4.5399702763252205e-5,  4.5399702763252205e-5
            5,       10000000, 0.000001, 0.067085868295838472,   0.18235829673497449
            9999000, 10000000, 0.9999,   0.50420587494756794,    1.0
            4990000, 10000000, 0.5,      1.2724002455775865e-10, 3.4587424660803801e-10
            """)
    void matchHighPrecisionReferences(long k, long n, double eps, double binomial, double hb) {
        assertThat(PValue.BINOMIAL.of(k, n, eps)).isCloseTo(binomial, withinPercentage(1e-8));
        assertThat(PValue.HOEFFDING_BENTKUS.of(k, n, eps)).isCloseTo(hb, withinPercentage(1e-8));
    }

    /** P(Binom(n, p) ≤ k) + P(Binom(n, 1 − p) ≤ n − k − 1) = 1 relates the lower-tail and upper-tail branches. */
    @ParameterizedTest(name = "k={0} n={1} eps={2}")
    @CsvSource(textBlock = """
            3, 20, 0.3
            499000, 10000000, 0.05
            9000, 10000000, 0.001
            6000000, 10000000, 0.6
            """)
    void tailsAreComplementary(long k, long n, double p) {
        double lower = Binomial.cdf(k, n, p);
        double upper = Binomial.cdf(n - k - 1, n, 1 - p);
        assertThat(lower + upper).isCloseTo(1, within(1e-12));
    }

    @ParameterizedTest
    @EnumSource(PValue.class)
    void areMonotoneAndInTheUnitInterval(PValue pValue) {
        double previous = 0;
        for (int k = 0; k <= 60; k++) {
            double p = pValue.of(k, 60, 0.2);
            assertThat(p).isBetween(0.0, 1.0).isGreaterThanOrEqualTo(previous);
            previous = p;
        }
        assertThat(pValue.of(60, 60, 0.2)).isEqualTo(1.0);
    }

    /** With the true risk exactly ε (the worst case of H0), P(p ≤ δ) must not exceed δ. */
    @ParameterizedTest
    @EnumSource(PValue.class)
    void areValidBySimulation(PValue pValue) {
        SplittableRandom random = new SplittableRandom(20240415);
        double epsilon = 0.1;
        int n = 200;
        int runs = 20_000;
        for (double delta : new double[] {0.05, 0.1, 0.2}) {
            int rejections = 0;
            SplittableRandom draws = random.split();
            for (int run = 0; run < runs; run++) {
                int errors = 0;
                for (int i = 0; i < n; i++) {
                    errors += draws.nextDouble() < epsilon ? 1 : 0;
                }
                rejections += pValue.of(errors, n, epsilon) <= delta ? 1 : 0;
            }
            // Three standard errors of the rejection fraction.
            double tolerance = 3 * Math.sqrt(delta * (1 - delta) / runs);
            assertThat((double) rejections / runs).isLessThanOrEqualTo(delta + tolerance);
        }
    }

    @Test
    void largeSamplesStayFast() {
        long start = System.nanoTime();
        for (int k = 495_000; k < 505_000; k += 100) {
            assertThat(PValue.BINOMIAL.of(k, 10_000_000, 0.05)).isBetween(0.0, 1.0);
        }
        assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);
    }

    @ParameterizedTest(name = "({0}, {1}, {2})")
    @CsvSource(delimiter = '|', textBlock = """
            0  | 0  | 0.1 | trials expected > 0, found 0
            1  | -5 | 0.1 | trials expected > 0, found -5
            -1 | 10 | 0.1 | errors expected in [0, trials = 10], found -1
            11 | 10 | 0.1 | errors expected in [0, trials = 10], found 11
            1  | 10 | 0   | epsilon expected in (0, 1), found 0.0
            1  | 10 | 1   | epsilon expected in (0, 1), found 1.0
            1  | 10 | NaN | epsilon expected in (0, 1), found NaN
            """)
    void rejectBadInput(long errors, long trials, double epsilon, String message) {
        for (PValue pValue : PValue.values()) {
            assertThatThrownBy(() -> pValue.of(errors, trials, epsilon))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
        }
    }
}
