package dev.offramp.bench.eval;

import java.io.PrintStream;
import java.nio.file.Path;

/** What the harness subcommands share: their defaults (the embedded default model, its held-out text) and exit. */
@FunctionalInterface
interface Harness {
    int run(String[] args, Path defaultModel, Path defaultText, PrintStream out, PrintStream err);

    /** Runs a subcommand from {@code main} ({@code --help}: its usage); the launcher passes the repository root as {@code offramp.home}. */
    static void main(String[] args, String usage, Harness command) {
        if (dev.offramp.model.cli.Cli.helpOrVersion(args, usage, System.out)) {
            System.exit(0);
        }
        Path home = Path.of(System.getProperty("offramp.home", "."));
        System.exit(command.run(args, home.resolve("models/kjv-ee-12l"),
                home.resolve("../shared/data/kjv-fortunes-calibration.txt").normalize(), System.out, System.err));
    }
}
