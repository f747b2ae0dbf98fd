package dev.offramp.policy.calibrate;

/**
 * Scores a cascade member's answer from its per-token uncertainties; the request is deferred to the next member when
 * {@code score(u) > threshold}. A higher score means more uncertain.
 * Gupta et al. 2024, "Language Model Cascades: Token-level uncertainty and beyond" (arXiv:2404.10136).
 */
public interface DeferralRule {
    /** The rule's name as {@link DeferralRules#parse} reads it, e.g. "chow-sum" or "quantile-0.1". */
    String name();

    /** The answer's uncertainty: higher means more likely to be deferred. */
    double score(TokenUncertainty u);
}
