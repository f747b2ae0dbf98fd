package dev.offramp.model.cli;

import dev.offramp.policy.PolicyRegistry;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --plugins DIR}, a picocli mixin: where plug-in policy jars are, for every command that parses policies. */
public final class PluginOptions {
    /** Where plug-in policy jars are when {@code --plugins} is not given. */
    public static final String PLUGINS_ENV = "OFFRAMP_PLUGINS";

    @Option(names = "--plugins", paramLabel = "DIR", description = "A directory of plug-in policy jars. Default: "
            + "$" + PLUGINS_ENV + ".")
    private Path plugins;

    /** {@code --plugins DIR}, else {@code $OFFRAMP_PLUGINS} in {@code env}; null when neither. */
    public Path pluginsDir(Map<String, String> env) {
        String fromEnv = env.get(PLUGINS_ENV);
        return plugins != null ? plugins : fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv);
    }

    /**
     * The policies specs may name: the built-in ones, those on the classpath, and those in the jars of
     * {@link #pluginsDir}; one registry for everything the command parses.
     */
    public PolicyRegistry policies(Map<String, String> env) {
        return PolicyRegistry.withPlugins(pluginsDir(env));
    }
}
