package dev.offramp.model.cli;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * What every command is built with: the repository root (the embedded models and the default held-out text are
 * found from it), the default model, where output and errors go, and how progress is shown.
 */
public record CliContext(Path home, Path defaultModel, PrintStream out, PrintStream err, Progress progress) {
    /** As the launcher runs: the embedded {@code models/kjv-ee-12l} under {@code home}, bars on a terminal. */
    public static CliContext launcher(Path home) {
        return new CliContext(home, home.resolve("models/kjv-ee-12l"), System.out, System.err,
                Progress.onTerminal(System.err));
    }
}
