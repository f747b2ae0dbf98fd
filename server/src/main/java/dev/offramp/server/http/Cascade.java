package dev.offramp.server.http;

import dev.offramp.policy.calibrate.DeferralRule;

/**
 * A served cascade (Gupta et al. 2024): the served model's first {@code smallLayers} layers answer first; when the
 * deferral rule's score of that answer's per-token uncertainty exceeds {@code threshold}, the whole model answers
 * instead, from the prompt (same model and tokenizer: no text hand-off needed). Requests choose it with
 * {@code early_exit: {"mode": "cascade"}}.
 */
public record Cascade(int smallLayers, DeferralRule rule, double threshold) {
    public Cascade {
        if (smallLayers < 1) {
            throw new IllegalArgumentException("cascade small layers: expected >= 1, found " + smallLayers);
        }
        if (!Double.isFinite(threshold)) {
            throw new IllegalArgumentException("cascade threshold: expected a finite number, found " + threshold);
        }
    }

    String small() {
        return "layers-1-" + smallLayers;
    }
}
