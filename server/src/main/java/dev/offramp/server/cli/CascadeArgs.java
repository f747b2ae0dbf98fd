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
}
