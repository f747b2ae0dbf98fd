package dev.offramp.model.cli;

import java.util.List;

/**
 * A module's subcommands of {@code ./offramp}, found with {@link java.util.ServiceLoader}: a module lists its
 * implementation in {@code META-INF/services/dev.offramp.model.cli.CommandSet}, and {@link Offramp} adds every
 * command of every set on the classpath. So the server and the benchmarks each bring their own commands to one
 * command line without depending on each other.
 */
public interface CommandSet {
    /** Picocli command objects ({@code @Command}, a {@code Callable<Integer>}), in the order the usage lists them. */
    List<Object> commands(CliContext context);
}
