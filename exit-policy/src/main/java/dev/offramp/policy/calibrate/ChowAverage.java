package dev.offramp.policy.calibrate;

/**
 * Chow-Average: −mean log p, the length-normalised Chow rule; 0 for an empty answer.
 * Gupta et al. 2024, "Language Model Cascades: Token-level uncertainty and beyond".
 */
public record ChowAverage() implements DeferralRule {
    @Override
    public String name() {
        return "chow-average";
    }

    @Override
    public double score(TokenUncertainty u) {
        return -u.meanLogProb();
    }
}
