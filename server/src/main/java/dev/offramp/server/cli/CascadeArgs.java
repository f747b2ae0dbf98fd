package dev.offramp.server.cli;

import dev.offramp.policy.calibrate.DeferralRules;
import dev.offramp.server.http.Cascade;
import java.util.Set;

/** The cascade flags of {@code serve} and {@code generate}: the first K layers answer, the whole model if deferred. */
final class CascadeArgs {
    static final Set<String> NAMES = Set.of("cascade-small-layers", "cascade-rule", "cascade-threshold");

    private CascadeArgs() {}

    /** All three flags, or none (null). */
    static Cascade from(CliArgs args) {
        boolean any = args.has("cascade-small-layers") || args.has("cascade-rule") || args.has("cascade-threshold");
        if (!any) {
            return null;
        }
        if (!(args.has("cascade-small-layers") && args.has("cascade-rule") && args.has("cascade-threshold"))) {
            throw new CliArgs.UsageException(args.command() + ": a cascade needs --cascade-small-layers, "
                    + "--cascade-rule and --cascade-threshold together");
        }
        try {
            return new Cascade(args.integer("cascade-small-layers", 0),
                    DeferralRules.parse(args.string("cascade-rule", "")), args.number("cascade-threshold", 0f));
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException(args.command() + ": " + e.getMessage());
        }
    }

    /**
     * {@code generate}'s members: {@code --cascade-members PATH[:K],…}, or the served shape — the model's first
     * {@code --cascade-small-layers} layers, then the whole model.
     */
    static java.util.List<CascadeRun.Member> members(CliArgs args, java.nio.file.Path model) {
        if (args.has("cascade-members") == args.has("cascade-small-layers")) {
            throw new CliArgs.UsageException(args.command() + ": a cascade needs exactly one of --cascade-members "
                    + "and --cascade-small-layers");
        }
        if (args.has("cascade-small-layers")) {
            return java.util.List.of(new CascadeRun.Member(model, args.integer("cascade-small-layers", 0)),
                    new CascadeRun.Member(model, null));
        }
        java.util.List<CascadeRun.Member> members = java.util.Arrays.stream(args.string("cascade-members", "")
                .split(",")).map(String::strip).filter(m -> !m.isEmpty()).map(CascadeRun.Member::parse).toList();
        if (members.size() < 2) {
            throw new CliArgs.UsageException(args.command() + ": --cascade-members: expected at least 2 members, "
                    + "found " + members.size());
        }
        return members;
    }

    static dev.offramp.policy.calibrate.DeferralRule rule(CliArgs args) {
        if (!args.has("cascade-rule") || !args.has("cascade-threshold")) {
            throw new CliArgs.UsageException(args.command() + ": a cascade needs --cascade-rule and "
                    + "--cascade-threshold");
        }
        try {
            return DeferralRules.parse(args.string("cascade-rule", ""));
        } catch (IllegalArgumentException e) {
            throw new CliArgs.UsageException(args.command() + ": " + e.getMessage());
        }
    }

    static double threshold(CliArgs args) {
        return args.number("cascade-threshold", 0f);
    }
}
