package dev.offramp.policy.calibrate;

/**
 * Valid p-values for H0: risk &gt; ε, from {@code errors} losses among {@code trials} iid Bernoulli (0/1) losses.
 * "Valid" means super-uniform under H0: P(p ≤ u) ≤ u for every u when the true risk is at least ε, which is what
 * {@link LearnThenTest} needs.
 */
public enum PValue {
    /**
     * The exact binomial tail P(Binom(n, ε) ≤ errors), the p-value for 0/1 losses in Angelopoulos et al. 2021,
     * "Learn then Test" (arXiv:2110.01052, Section 3): Bentkus' bound without its factor e.
     */
    BINOMIAL {
        @Override
        double compute(long errors, long trials, double epsilon) {
            return Binomial.cdf(errors, trials, epsilon);
        }
    },
    /**
     * Hoeffding–Bentkus: min(exp(−n h1(min(r̂, ε), ε)), e · P(Binom(n, ε) ≤ ⌈n r̂⌉)), with
     * h1(a, b) = a log(a/b) + (1 − a) log((1 − a)/(1 − b)): Bates et al. 2021, "Distribution-free, risk-controlling
     * prediction sets" (arXiv:2101.02703), as restated in Angelopoulos et al., "Learn then Test" (arXiv:2110.01052).
     * It holds for any loss in [0, 1]; for 0/1 losses it is never smaller than {@link #BINOMIAL}.
     */
    HOEFFDING_BENTKUS {
        @Override
        double compute(long errors, long trials, double epsilon) {
            double rHat = (double) errors / trials;
            double hoeffding = Math.exp(-trials * h1(Math.min(rHat, epsilon), epsilon));
            // For 0/1 losses n r̂ is the integer errors itself; ceil(n * (errors / n)) could round one too high.
            double bentkus = Math.E * Binomial.cdf(errors, trials, epsilon);
            return Math.min(hoeffding, bentkus);
        }
    };

    /**
     * The p-value, clamped to [0, 1].
     *
     * @throws IllegalArgumentException unless trials &gt; 0, 0 ≤ errors ≤ trials and 0 &lt; ε &lt; 1
     */
    public double of(long errors, long trials, double epsilon) {
        if (trials <= 0) {
            throw new IllegalArgumentException("trials expected > 0, found " + trials);
        }
        if (errors < 0 || errors > trials) {
            throw new IllegalArgumentException("errors expected in [0, trials = " + trials + "], found " + errors);
        }
        if (!(epsilon > 0 && epsilon < 1)) {
            throw new IllegalArgumentException("epsilon expected in (0, 1), found " + epsilon);
        }
        return Math.max(0, Math.min(1, compute(errors, trials, epsilon)));
    }

    abstract double compute(long errors, long trials, double epsilon);

    /** Bernoulli KL divergence KL(a ‖ b), 0 log 0 = 0; log1p keeps the (1 − a) term exact for small a and b. */
    static double h1(double a, double b) {
        double first = a == 0 ? 0 : a * Math.log(a / b);
        return first + (1 - a) * (Math.log1p(-a) - Math.log1p(-b));
    }
}
