package dev.offramp.policy.calibrate;

import java.math.BigDecimal;

/**
 * 1 − the q-quantile of the per-token top-1 probabilities (a low q looks at the answer's least confident tokens);
 * 0 for an empty answer. Gupta et al. 2024, "Language Model Cascades: Token-level uncertainty and beyond".
 *
 * @param q the quantile level in [0, 1]
 */
public record QuantileRule(double q) implements DeferralRule {
    public QuantileRule {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile expected in [0, 1], found " + q);
        }
    }

    /** "quantile-" and q without trailing zeros ("quantile-0.1", "quantile-0", "quantile-1"), so parse round-trips. */
    @Override
    public String name() {
        return "quantile-" + BigDecimal.valueOf(q).stripTrailingZeros().toPlainString();
    }

    @Override
    public double score(TokenUncertainty u) {
        return 1 - u.top1Quantile(q);
    }
}
