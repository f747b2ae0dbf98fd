package dev.offramp.policy.calibrate;

/**
 * Chow-Sum: −Σ log p, the negative sequence log-probability; 0 for an empty answer. It grows with length, so long
 * answers are deferred more: the length bias Gupta et al. 2024, "Language Model Cascades", report.
 */
public record ChowSum() implements DeferralRule {
    @Override
    public String name() {
        return "chow-sum";
    }

    @Override
    public double score(TokenUncertainty u) {
        return -u.sumLogProb();
    }
}
