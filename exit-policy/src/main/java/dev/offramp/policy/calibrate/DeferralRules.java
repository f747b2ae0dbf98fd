package dev.offramp.policy.calibrate;

import java.util.Objects;

/** Names to deferral rules; the learned rule is not here because it needs training data. */
public final class DeferralRules {
    private static final String QUANTILE = "quantile-";

    private DeferralRules() {
    }

    /**
     * "chow-sum", "chow-average" or "quantile-&lt;q&gt;" with q in [0, 1].
     *
     * @throws IllegalArgumentException on any other name, including "learned"
     */
    public static DeferralRule parse(String name) {
        Objects.requireNonNull(name, "name");
        String n = name.strip();
        if (n.equals("chow-sum")) {
            return new ChowSum();
        }
        if (n.equals("chow-average")) {
            return new ChowAverage();
        }
        if (n.startsWith(QUANTILE)) {
            String level = n.substring(QUANTILE.length());
            double q;
            try {
                q = Double.parseDouble(level);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("deferral rule quantile expected a number in [0, 1], found '"
                        + level + "'", e);
            }
            return new QuantileRule(q);
        }
        if (n.equals("learned")) {
            throw new IllegalArgumentException("deferral rule 'learned' needs training data: it is trained by the "
                    + "calibrate/cascade command (LearnedRule.fit), not parsed from a name");
        }
        throw new IllegalArgumentException("deferral rule expected chow-sum, chow-average or quantile-<q in [0, 1]>, "
                + "found '" + name + "'");
    }
}
