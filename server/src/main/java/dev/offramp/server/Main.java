package dev.offramp.server;

import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.Offramp;
import java.nio.file.Path;

/**
 * {@code ./offramp SUBCOMMAND ...}: the one entry point, for every module's commands on the classpath. Exit 0 on
 * success, 1 on a failure, 2 on a usage error.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        // The launcher passes the repository root so that the embedded default model is found from anywhere.
        System.exit(Offramp.run(args, CliContext.launcher(Path.of(System.getProperty("offramp.home", ".")))));
    }
}
