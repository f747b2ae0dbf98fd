package dev.offramp.policy.calibrate;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Post-hoc deferral by logistic regression over token-uncertainty quantiles; the score is the predicted probability
 * that the small member's answer differs from the large member's.
 * Gupta et al. 2024, "Language Model Cascades: Token-level uncertainty and beyond" (arXiv:2404.10136).
 *
 * <p>Features, in this order: the top-1-probability quantiles at q = 0, 0.1, …, 1.0 (11), the mean log-probability,
 * and log(1 + length). An empty answer has quantiles 1 and mean log-probability 0, as in {@link TokenUncertainty}.
 * Features are standardised with the training set's mean and standard deviation before the linear model.
 */
public final class LearnedRule implements DeferralRule {
    /** The number of features {@link #features} returns. */
    public static final int FEATURES = 13;
    private static final double[] LEVELS = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};

    private final double[] means;
    private final double[] scales;
    private final double[] weights;
    private final double intercept;

    /**
     * A trained rule, e.g. as read back from a calibration profile.
     *
     * @param means     per feature, the value subtracted before scaling
     * @param scales    per feature, the positive divisor after centring
     * @param weights   per feature, the coefficient on the standardised value
     * @param intercept the logit at the training means
     */
    public LearnedRule(double[] means, double[] scales, double[] weights, double intercept) {
        this.means = checked("means", means, false);
        this.scales = checked("scales", scales, true);
        this.weights = checked("weights", weights, false);
        if (!Double.isFinite(intercept)) {
            throw new IllegalArgumentException("intercept expected finite, found " + intercept);
        }
        this.intercept = intercept;
    }

    /**
     * Fits the rule to answers labelled by whether the small member's answer differs from the large member's.
     *
     * @param answers the small member's per-token uncertainties, one per calibration request
     * @param differs per answer, true when it differs from the large member's
     * @param l2      ridge strength on the standardised weights (the intercept is free), ≥ 0; 1 is a sane default
     * @throws IllegalArgumentException when there are no answers or the sizes differ. With one label only (say the
     *                                  small member never agrees) the rule scores every answer alike, at the smoothed
     *                                  base rate (differing + ½) / (n + 1).
     */
    public static LearnedRule fit(List<TokenUncertainty> answers, boolean[] differs, double l2) {
        Objects.requireNonNull(answers, "answers");
        Objects.requireNonNull(differs, "differs");
        if (answers.size() != differs.length) {
            throw new IllegalArgumentException("labels expected one per answer (" + answers.size() + "), found "
                    + differs.length);
        }
        if (!(l2 >= 0 && Double.isFinite(l2))) {
            throw new IllegalArgumentException("l2 expected finite and >= 0, found " + l2);
        }
        int positives = 0;
        for (boolean d : differs) {
            positives += d ? 1 : 0;
        }
        int n = answers.size();
        if (n == 0) {
            throw new IllegalArgumentException("answers expected at least one, found none");
        }
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            x[i] = features(Objects.requireNonNull(answers.get(i), "answer " + i));
        }
        double[] means = new double[FEATURES];
        double[] scales = new double[FEATURES];
        for (int j = 0; j < FEATURES; j++) {
            double sum = 0;
            for (double[] row : x) {
                sum += row[j];
            }
            means[j] = sum / n;
            double squares = 0;
            for (double[] row : x) {
                squares += (row[j] - means[j]) * (row[j] - means[j]);
            }
            double sd = Math.sqrt(squares / n);
            // A constant feature carries nothing; dividing by 1 keeps it at 0 instead of 0/0.
            scales[j] = sd > 1e-12 ? sd : 1;
        }
        double[][] z = new double[n][FEATURES];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < FEATURES; j++) {
                z[i][j] = (x[i][j] - means[j]) / scales[j];
            }
        }
        if (positives == 0 || positives == n) {
            // One label only: the maximum-likelihood intercept is infinite, so use the smoothed base rate
            // (positives + ½) / (n + 1) and no weights — a constant score, every answer treated alike.
            double intercept = Math.log((positives + 0.5) / (n - positives + 0.5));
            return new LearnedRule(means, scales, new double[FEATURES], intercept);
        }
        double[] beta = Logistic.fit(z, differs, l2);
        return new LearnedRule(means, scales, Arrays.copyOfRange(beta, 1, beta.length), beta[0]);
    }

    /** The 13 raw features of one answer, in the order the class comment lists. */
    public static double[] features(TokenUncertainty u) {
        double[] f = Arrays.copyOf(u.top1Quantiles(LEVELS), FEATURES);
        f[LEVELS.length] = u.meanLogProb();
        f[LEVELS.length + 1] = Math.log1p(u.length());
        return f;
    }

    @Override
    public String name() {
        return "learned";
    }

    @Override
    public double score(TokenUncertainty u) {
        double[] f = features(u);
        double logit = intercept;
        for (int j = 0; j < FEATURES; j++) {
            logit += weights[j] * (f[j] - means[j]) / scales[j];
        }
        return Logistic.sigmoid(logit);
    }

    public double[] means() {
        return means.clone();
    }

    public double[] scales() {
        return scales.clone();
    }

    public double[] weights() {
        return weights.clone();
    }

    public double intercept() {
        return intercept;
    }

    @Override
    public String toString() {
        return "LearnedRule[weights=" + Arrays.toString(weights) + ", intercept=" + intercept + "]";
    }

    private static double[] checked(String what, double[] values, boolean positive) {
        Objects.requireNonNull(values, what);
        if (values.length != FEATURES) {
            throw new IllegalArgumentException(what + " expected " + FEATURES + " values, found " + values.length);
        }
        for (int j = 0; j < FEATURES; j++) {
            if (!Double.isFinite(values[j]) || (positive && values[j] <= 0)) {
                throw new IllegalArgumentException(what + "[" + j + "] expected finite" + (positive ? " and > 0" : "")
                        + ", found " + values[j]);
            }
        }
        return values.clone();
    }
}
