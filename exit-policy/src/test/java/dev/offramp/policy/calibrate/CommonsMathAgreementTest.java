package dev.offramp.policy.calibrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.BinomialDistribution;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The calibration maths written here against Apache Commons Math 3.6.1, to 1e-9. They stay hand-written because the
 * library is not the better part for them (README, "Calibrated thresholds"): its binomial tail goes through log-gamma
 * and loses digits at large n (3.9e-10 relative at n = 10^7, where {@link PValueTest}'s 50-digit references hold
 * this code to 1e-10), and it has no logistic regression (its conjugate-gradient optimiser stops about 3e-5 from
 * the optimum that IRLS reaches).
 */
class CommonsMathAgreementTest {
    private static final double TOLERANCE = 1e-9;

    @Test
    void theBinomialTailIsCommonsMaths() {
        int checked = 0;
        for (int n : new int[] {1, 7, 100, 1000, 12_000, 100_000, 1_000_000}) {
            for (double epsilon : new double[] {0.001, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9}) {
                BinomialDistribution library = new BinomialDistribution(null, n, epsilon);
                for (int k = 0; k <= n; k += Math.max(1, n / 500)) {
                    assertThat(Binomial.cdf(k, n, epsilon)).as("P(Binom(%d, %s) <= %d)", n, epsilon, k)
                            .isCloseTo(library.cumulativeProbability(k), within(TOLERANCE));
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThan(10_000);
    }

    /**
     * The penalised maximum-likelihood β solved independently: Newton's method from zero, each step's system solved
     * by Commons Math's Cholesky decomposition, until the step is below 1e-14.
     */
    @ParameterizedTest
    @ValueSource(doubles = {1.0, 0.1, 0.01})
    void theLogisticFitIsNewtonsWithCommonsMathsLinearAlgebra(double l2) {
        SplittableRandom random = new SplittableRandom(7);
        int n = 400;
        int features = 13;
        double[][] x = new double[n][features];
        boolean[] y = new boolean[n];
        double[] w = random.doubles(features, -1, 1).toArray();
        for (int i = 0; i < n; i++) {
            double z = 0.3;
            for (int j = 0; j < features; j++) {
                x[i][j] = random.nextGaussian();
                z += w[j] * x[i][j];
            }
            y[i] = random.nextDouble() < 1 / (1 + Math.exp(-z));
        }

        double[] fitted = Logistic.fit(x, y, l2);

        RealVector beta = new ArrayRealVector(features + 1);
        for (int iteration = 0; iteration < 100; iteration++) {
            RealVector gradient = new ArrayRealVector(features + 1);
            RealMatrix hessian = new Array2DRowRealMatrix(features + 1, features + 1);
            for (int i = 0; i < n; i++) {
                RealVector xi = new ArrayRealVector(new double[] {1}).append(new ArrayRealVector(x[i]));
                double p = 1 / (1 + Math.exp(-beta.dotProduct(xi)));
                gradient = gradient.add(xi.mapMultiply(p - (y[i] ? 1 : 0)));
                hessian = hessian.add(xi.outerProduct(xi).scalarMultiply(p * (1 - p)));
            }
            for (int j = 1; j <= features; j++) {
                gradient.addToEntry(j, l2 * beta.getEntry(j));
                hessian.addToEntry(j, j, l2);
            }
            RealVector step = new CholeskyDecomposition(hessian).getSolver().solve(gradient);
            beta = beta.subtract(step);
            if (step.getLInfNorm() < 1e-14) {
                break;
            }
        }
        for (int j = 0; j <= features; j++) {
            assertThat(fitted[j]).as("beta[%d]", j).isCloseTo(beta.getEntry(j), within(TOLERANCE));
        }
    }

    @Test
    void theTop1QuantilesAreCommonsMathsTypeSeven() {
        SplittableRandom random = new SplittableRandom(3);
        for (int length : new int[] {1, 2, 5, 64, 1000}) {
            double[] top1 = random.doubles(length).toArray();
            TokenUncertainty u = new TokenUncertainty(new double[length], top1);
            Percentile r7 = new Percentile().withEstimationType(Percentile.EstimationType.R_7);
            for (double q = 0; q <= 1; q += 0.05) {
                double level = Math.min(q, 1);
                assertThat(u.top1Quantile(level)).as("q=%s of %d", level, length)
                        .isCloseTo(r7.evaluate(top1, Math.max(level, 1e-12) * 100), within(TOLERANCE));
            }
        }
    }
}
