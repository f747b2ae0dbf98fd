package dev.offramp.policy.calibrate;

/**
 * Binomial probabilities accurate to a few ulps for n up to ~10^10, without cancellation in log-gamma.
 * Loader 2000, "Fast and Accurate Computation of Binomial Probabilities" (the saddle-point form R's dbinom uses).
 */
final class Binomial {
    private static final double LOG_2PI = Math.log(2 * Math.PI);
    private static final int TABLE = 16;
    /** stirlerr(n) for n below 16, where the asymptotic series is not yet accurate. */
    private static final double[] STIRLERR = new double[TABLE];

    static {
        // Summing log i is exact to ~1e-14 absolute here, which is a ~1e-14 relative error in a probability.
        double logFactorial = 0;
        for (int n = 1; n < TABLE; n++) {
            logFactorial += Math.log(n);
            STIRLERR[n] = logFactorial - (n + 0.5) * Math.log(n) + n - 0.5 * LOG_2PI;
        }
    }

    private Binomial() {
    }

    /** P(Binom(n, p) ≤ k), summing the shorter tail's terms by their ratios from its largest term. */
    static double cdf(long k, long n, double p) {
        if (k < 0) {
            return 0;
        }
        if (k >= n) {
            return 1;
        }
        double q = 1 - p;
        if (k < n * p) {
            // Below the mean the terms fall geometrically going down, so the sum stops early.
            double ratio = 1;
            double sum = 1;
            for (long j = k; j >= 1; j--) {
                ratio *= (double) j / (n - j + 1) * (q / p);
                sum += ratio;
                if (ratio < 1e-17 * sum) {
                    break;
                }
            }
            return Math.min(1, Math.exp(logPmf(k, n, p)) * sum);
        }
        // At or above the mean, sum the upper tail from k + 1 (it falls going up) and complement it.
        double ratio = 1;
        double sum = 1;
        for (long j = k + 1; j < n; j++) {
            ratio *= (double) (n - j) / (j + 1) * (p / q);
            sum += ratio;
            if (ratio < 1e-17 * sum) {
                break;
            }
        }
        return Math.max(0, 1 - Math.exp(logPmf(k + 1, n, p)) * sum);
    }

    /** log P(Binom(n, p) = x) for 0 ≤ x ≤ n and 0 < p < 1. */
    static double logPmf(long x, long n, double p) {
        double q = 1 - p;
        if (x == 0) {
            return n * Math.log1p(-p);
        }
        if (x == n) {
            return n * (q < 0.5 ? Math.log1p(-q) : Math.log(p));
        }
        double lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
        double lf = LOG_2PI + Math.log(x) + Math.log1p(-(double) x / n);
        return lc - 0.5 * lf;
    }

    /** log(n!) − log(√(2πn) (n/e)^n), the error of Stirling's formula. */
    static double stirlerr(long n) {
        if (n < TABLE) {
            return STIRLERR[(int) n];
        }
        double nn = (double) n * n;
        final double s0 = 1.0 / 12;
        final double s1 = 1.0 / 360;
        final double s2 = 1.0 / 1260;
        final double s3 = 1.0 / 1680;
        final double s4 = 1.0 / 1188;
        return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
    }

    /** x log(x / m) + m − x, by a series when x ≈ m where the direct form cancels. */
    static double bd0(double x, double m) {
        if (Math.abs(x - m) < 0.1 * (x + m)) {
            double v = (x - m) / (x + m);
            double s = (x - m) * v;
            double ej = 2 * x * v;
            double v2 = v * v;
            for (int j = 1; j < 1000; j++) {
                ej *= v2;
                double next = s + ej / (2 * j + 1);
                if (next == s) {
                    return next;
                }
                s = next;
            }
            return s;
        }
        return x * Math.log(x / m) + m - x;
    }
}
