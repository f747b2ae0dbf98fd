package dev.offramp.model.cli;

import picocli.CommandLine.Option;

/**
 * {@code --kv} and {@code --prune}, a picocli mixin: the early-exit knobs beside a policy, in {@link ModeFlags} and in
 * the commands that vary only the policy (sweep, calibrate). Absent: null, the mode's default.
 */
public final class ExitKnobs {
    @Option(names = "--kv", paramLabel = "propagate|recompute", description = "The KV cache of skipped layers. "
            + "Default: recompute.")
    private String kv;

    @Option(names = "--prune", paramLabel = "K", description = "After a token's first exit check, score later "
            + "checks on that check's top K tokens only (early-exit).")
    private Integer prune;

    /** Null: recompute. */
    public String kv() {
        return kv;
    }

    /** Null: no pruning. */
    public Integer prune() {
        return prune;
    }
}
