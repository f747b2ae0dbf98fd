package dev.offramp.server.cli;

import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.CommandSet;
import dev.offramp.model.cli.Offramp;
import dev.offramp.model.cli.Progress;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** The server's commands of {@code ./offramp} (listed in META-INF/services): generate, layers, serve. */
public final class Commands implements CommandSet {
    @Override
    public List<Object> commands(CliContext c) {
        return List.of(new GenerateCommand(c.defaultModel(), c.out(), c.progress()),
                new LayersCommand(c.defaultModel(), c.out()),
                new ServeCommand(c.defaultModel(), c.out(), c.progress()));
    }

    /** The whole command line in-process (tests): every module's commands, this default model, no progress bars. */
    public static int run(String[] args, Path defaultModel, PrintStream out, PrintStream err) {
        return Offramp.run(args, new CliContext(Path.of(".."), defaultModel, out, err, Progress.SILENT));
    }
}
