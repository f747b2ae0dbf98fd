package dev.offramp.model.engine;

import dev.offramp.model.Transformer;
import dev.offramp.policy.calibrate.DeferralRule;

/**
 * A cascade's decision on its small member's answer (Gupta et al. 2024): the rule scores the answer's per-token
 * uncertainty under that member ({@link AnswerUncertainty}); a score above the threshold defers the request to the
 * next member. {@code extraLayers} is what the uncertainty pass cost, in decoder-layer evaluations.
 */
public record Deferral(double score, boolean deferred, long extraLayers) {
    public static Deferral decide(Transformer model, int smallLayers, DeferralRule rule, double threshold,
                                  int[] prompt, int[] answer) {
        double score = rule.score(AnswerUncertainty.of(model, smallLayers, prompt, answer));
        return new Deferral(score, score > threshold, AnswerUncertainty.layers(smallLayers, prompt, answer));
    }
}
