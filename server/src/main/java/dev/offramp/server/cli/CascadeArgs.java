package dev.offramp.server.cli;

import dev.offramp.model.cli.UsageException;
import dev.offramp.policy.calibrate.DeferralRule;
import dev.offramp.policy.calibrate.DeferralRules;
import dev.offramp.server.http.Cascade;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The cascade options of {@code serve} and {@code generate}, a picocli mixin: the first K layers answer, the whole
 * model if deferred.
 */
final class CascadeArgs {
    @Option(names = "--cascade-small-layers", paramLabel = "K", description = "The small member: the model's first "
            + "K layers; the whole model answers when it defers.")
    Integer smallLayers;

    @Option(names = "--cascade-rule", paramLabel = "chow-sum|chow-average|quantile-Q", description = "How the small "
            + "member's uncertainty is scored.")
    String rule;

    @Option(names = "--cascade-threshold", paramLabel = "T", description = "Defer when the score is above T.")
    Float threshold;

    boolean any() {
        return smallLayers != null || rule != null || threshold != null;
    }

    /** All three options ({@code serve}), or none (null). */
    Cascade served(String command) {
        if (!any()) {
            return null;
        }
        if (smallLayers == null || rule == null || threshold == null) {
            throw new UsageException(command + ": a cascade needs --cascade-small-layers, "
                    + "--cascade-rule and --cascade-threshold together");
        }
        try {
            return new Cascade(smallLayers, DeferralRules.parse(rule), threshold);
        } catch (IllegalArgumentException e) {
            throw new UsageException(command + ": " + e.getMessage());
        }
    }

    /**
     * {@code generate}'s members: {@code --cascade-members PATH[:K],…}, or the served shape — the model's first
     * {@code --cascade-small-layers} layers, then the whole model.
     */
    List<CascadeRun.Member> members(String command, String cascadeMembers, Path model) {
        if ((cascadeMembers != null) == (smallLayers != null)) {
            throw new UsageException(command + ": a cascade needs exactly one of --cascade-members "
                    + "and --cascade-small-layers");
        }
        if (smallLayers != null) {
            return List.of(new CascadeRun.Member(model, smallLayers), new CascadeRun.Member(model, null));
        }
        List<CascadeRun.Member> members = Arrays.stream(cascadeMembers.split(",")).map(String::strip)
                .filter(m -> !m.isEmpty()).map(CascadeRun.Member::parse).toList();
        if (members.size() < 2) {
            throw new UsageException(command + ": --cascade-members: expected at least 2 members, "
                    + "found " + members.size());
        }
        return members;
    }

    DeferralRule rule(String command) {
        if (rule == null || threshold == null) {
            throw new UsageException(command + ": a cascade needs --cascade-rule and --cascade-threshold");
        }
        try {
            return DeferralRules.parse(rule);
        } catch (IllegalArgumentException e) {
            throw new UsageException(command + ": " + e.getMessage());
        }
    }
}
