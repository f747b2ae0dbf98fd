package dev.offramp.server.cli;

import dev.offramp.model.engine.ModeOptions;
import java.util.Set;

/** The mode flags shared by the model-running subcommands, read into {@link ModeOptions}. */
final class ModeArgs {
    static final Set<String> NAMES = Set.of("mode", "policy", "exit-layer", "kv", "prune", "speedup", "draft",
            "draft-stop");

    private ModeArgs() {}

    static ModeOptions from(CliArgs a) {
        return new ModeOptions(
                a.has("mode") ? a.string("mode", null) : null,
                a.has("policy") ? a.string("policy", null) : null,
                a.has("exit-layer") ? a.integer("exit-layer", 0) : null,
                a.has("kv") ? a.string("kv", null) : null,
                a.has("prune") ? a.integer("prune", 0) : null,
                a.has("speedup") ? (double) a.number("speedup", 1f) : null,
                a.has("draft") ? a.integer("draft", 0) : null,
                a.has("draft-stop") ? a.number("draft-stop", 0f) : null);
    }
}
