package dev.offramp.server.cli;

import dev.offramp.model.engine.ModeOptions;
import dev.offramp.model.engine.Profile;
import dev.offramp.policy.PolicyRegistry;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** The mode flags shared by the model-running subcommands, read into {@link ModeOptions}. */
final class ModeArgs {
    static final Set<String> NAMES = Set.of("mode", "policy", "exit-layer", "kv", "prune", "speedup", "draft",
            "draft-stop", "profile", "plugins");
    /** Where plug-in policy jars are when {@code --plugins} is not given. */
    static final String PLUGINS_ENV = "OFFRAMP_PLUGINS";

    private ModeArgs() {}

    /**
     * The policies specs may name: the built-in ones, those on the classpath, and those in the jars of
     * {@code --plugins DIR} (else of {@code $OFFRAMP_PLUGINS}); one registry for everything the command parses.
     */
    static PolicyRegistry policies(CliArgs a, Map<String, String> env) {
        String fromEnv = env.get(PLUGINS_ENV);
        Path dir = a.path("plugins", fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv));
        return PolicyRegistry.withPlugins(dir);
    }

    /** The mode flags, or a calibration profile's early-exit setting ({@code --profile}, alone). */
    static ModeOptions from(CliArgs a) {
        if (a.has("profile")) {
            for (String n : NAMES) {
                if (!n.equals("profile") && !n.equals("plugins") && a.has(n)) {
                    throw new CliArgs.UsageException(a.command() + ": --profile sets the mode; expected no --" + n
                            + " with it");
                }
            }
            try {
                return Profile.read(Path.of(a.string("profile", ""))).modeOptions();
            } catch (IllegalArgumentException e) {
                throw new CliArgs.UsageException(a.command() + ": --profile " + e.getMessage());
            }
        }
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
