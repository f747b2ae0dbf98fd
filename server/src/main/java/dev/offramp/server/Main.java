package dev.offramp.server;

import dev.offramp.server.cli.Commands;
import java.nio.file.Path;

/** {@code ./offramp SUBCOMMAND ...}: the one entry point. Exit 0 on success, 1 on a failure, 2 on a usage error. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        // The launcher passes the repository root so that the embedded default model is found from anywhere.
        Path home = Path.of(System.getProperty("offramp.home", "."));
        System.exit(Commands.run(args, home.resolve("models/kjv-ee-12l"), System.out, System.err));
    }
}
