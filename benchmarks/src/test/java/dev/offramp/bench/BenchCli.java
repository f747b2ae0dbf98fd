package dev.offramp.bench;

import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.Offramp;
import dev.offramp.model.cli.Progress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Runs {@code ./offramp ARGS} in-process, as the launcher does, from the module's folder (the home is the root). */
public final class BenchCli {
    public record Run(int status, String out, String err) {}

    private BenchCli() {}

    /** No terminal: no progress bars, as in a pipe or CI. */
    public static Run run(String... args) {
        return run(false, args);
    }

    /** {@code terminal}: as if on one, progress bars go into the command's stderr. */
    public static Run run(boolean terminal, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        int status = Offramp.run(args, new CliContext(Path.of(".."), Path.of("../models/kjv-ee-12l"),
                new PrintStream(out, true, StandardCharsets.UTF_8), errStream,
                terminal ? Progress.on(errStream, 120) : Progress.SILENT));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
