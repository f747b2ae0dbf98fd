package dev.offramp.policy.calibrate;

/**
 * L2-penalised logistic regression by damped Newton (IRLS): deterministic, a handful of iterations for the dozen
 * features a deferral rule uses. Hastie, Tibshirani, Friedman, "The Elements of Statistical Learning", Section 4.4.1.
 */
final class Logistic {
    static final int MAX_ITERATIONS = 100;
    /** Converged when no coefficient moves by more than this in a step. */
    private static final double TOLERANCE = 1e-10;
    /** Or when the loss stops falling (separable classes without ridge, where β grows forever). */
    private static final double LOSS_RESOLUTION = 1e-10;
    /** Newton steps below this are taken without the loss test (see fit). */
    private static final double LOCAL_STEP = 1e-6;
    /** Keeps the Hessian invertible when a feature is constant or the classes separate and weights drift. */
    private static final double JITTER = 1e-9;

    private Logistic() {
    }

    /**
     * Minimises −Σ log-likelihood + (l2 / 2) Σ w_j² over β = (intercept, w); the intercept is not penalised.
     *
     * @param x  rows of features, already standardised
     * @param y  the labels
     * @param l2 the ridge strength, ≥ 0
     * @return β: the intercept at index 0, then one weight per feature
     */
    static double[] fit(double[][] x, boolean[] y, double l2) {
        int d = x[0].length + 1;
        double[] beta = new double[d];
        double loss = loss(x, y, l2, beta);
        for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
            double[] gradient = new double[d];
            double[][] hessian = new double[d][d];
            for (int i = 0; i < x.length; i++) {
                double p = sigmoid(dot(beta, x[i]));
                double r = p - (y[i] ? 1 : 0);
                double w = p * (1 - p);
                for (int a = 0; a < d; a++) {
                    double xa = a == 0 ? 1 : x[i][a - 1];
                    gradient[a] += r * xa;
                    for (int b = 0; b <= a; b++) {
                        hessian[a][b] += w * xa * (b == 0 ? 1 : x[i][b - 1]);
                    }
                }
            }
            for (int a = 0; a < d; a++) {
                gradient[a] += a == 0 ? 0 : l2 * beta[a];
                hessian[a][a] += (a == 0 ? 0 : l2) + JITTER;
            }
            double[] step = solveCholesky(hessian, gradient);
            double size = maxAbs(step);
            if (size < LOCAL_STEP) {
                // Near the optimum, where Newton converges quadratically and the loss (a sum of n terms) cannot tell
                // such a step from rounding: the halving below would refuse it and stop up to ~1e-8 short.
                for (int a = 0; a < d; a++) {
                    beta[a] -= step[a];
                }
                if (size < TOLERANCE) {
                    break;
                }
                continue;
            }
            // Halve the Newton step until the penalised loss falls: plain Newton can overshoot far from the optimum.
            double t = 1;
            double[] next = new double[d];
            double nextLoss = Double.POSITIVE_INFINITY;
            for (int halvings = 0; halvings < 40; halvings++, t /= 2) {
                for (int a = 0; a < d; a++) {
                    next[a] = beta[a] - t * step[a];
                }
                nextLoss = loss(x, y, l2, next);
                if (nextLoss <= loss) {
                    break;
                }
            }
            if (!(nextLoss <= loss)) {
                break;
            }
            double moved = 0;
            for (int a = 0; a < d; a++) {
                moved = Math.max(moved, Math.abs(next[a] - beta[a]));
            }
            System.arraycopy(next, 0, beta, 0, d);
            boolean flat = loss - nextLoss <= LOSS_RESOLUTION * (1 + Math.abs(loss));
            loss = nextLoss;
            if (moved < TOLERANCE || flat) {
                break;
            }
        }
        return beta;
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double e : v) {
            m = Math.max(m, Math.abs(e));
        }
        return m;
    }

    /** β₀ + Σ β_j x_{j−1}. */
    static double dot(double[] beta, double[] row) {
        double z = beta[0];
        for (int j = 0; j < row.length; j++) {
            z += beta[j + 1] * row[j];
        }
        return z;
    }

    static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }

    private static double loss(double[][] x, boolean[] y, double l2, double[] beta) {
        double loss = 0;
        for (int i = 0; i < x.length; i++) {
            double z = dot(beta, x[i]);
            // log(1 + e^z) − y z, written so that neither exp overflows.
            double softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
            loss += softplus - (y[i] ? z : 0);
        }
        for (int j = 1; j < beta.length; j++) {
            loss += 0.5 * l2 * beta[j] * beta[j];
        }
        return loss;
    }

    /** Solves H s = g for symmetric positive-definite H given by its lower triangle. */
    private static double[] solveCholesky(double[][] h, double[] g) {
        int d = g.length;
        double[][] l = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                double s = h[i][j];
                for (int k = 0; k < j; k++) {
                    s -= l[i][k] * l[j][k];
                }
                l[i][j] = i == j ? Math.sqrt(Math.max(s, JITTER)) : s / l[j][j];
            }
        }
        double[] z = new double[d];
        for (int i = 0; i < d; i++) {
            double s = g[i];
            for (int k = 0; k < i; k++) {
                s -= l[i][k] * z[k];
            }
            z[i] = s / l[i][i];
        }
        double[] s = new double[d];
        for (int i = d - 1; i >= 0; i--) {
            double v = z[i];
            for (int k = i + 1; k < d; k++) {
                v -= l[k][i] * s[k];
            }
            s[i] = v / l[i][i];
        }
        return s;
    }
}
