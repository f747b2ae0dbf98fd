package dev.offramp.server.cli;

import dev.offramp.model.cli.Cli;
import dev.offramp.model.cli.Version;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code offramp}: dispatches a subcommand; {@link Cli} maps every outcome to a message and an exit status. */
@Command(name = "offramp", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Early-exit LLM inference: generate, inspect layers, serve over HTTP.",
        commandListHeading = "%nCommands:%n",
        footerHeading = "%nBenchmark commands (the benchmarks module; --help prints each one's usage):%n",
        footer = {
            "  bench      Times the decode step per kernel and batch size.",
            "  eval       Measures a mode against full depth on held-out text.",
            "  sweep      Runs eval over a policy threshold: PREFIX.csv and a Pareto plot.",
            "  calibrate  Certifies a policy threshold for a risk (writes PROFILE.json).",
            "  train-gate Trains a learned exit gate on teacher-forced text (writes GATE).",
            "  cascade    Measures a cascade's small member against the whole model.",
            "  precision  Compares --kernels K with the float32 reference.",
            "  load       A load generator against a running server.",
            "",
            "Exit status: 0 success, 1 a model that cannot be loaded, 2 a usage error.",
            "Bash completion: source offramp-completion.bash"})
public final class Commands implements Callable<Integer> {
    private final PrintStream err;
    @Spec
    private CommandSpec spec;

    private Commands(PrintStream err) {
        this.err = err;
    }

    /** The whole command tree, as the launcher runs it and as the completion script is generated from. */
    static CommandLine commandLine(Path defaultModel, PrintStream out, PrintStream err) {
        CommandLine cl = Cli.commandLine(new Commands(err), out, err);
        cl.addSubcommand("generate", Cli.commandLine(new GenerateCommand(defaultModel, out), out, err));
        cl.addSubcommand("layers", Cli.commandLine(new LayersCommand(defaultModel, out), out, err));
        cl.addSubcommand("serve", Cli.commandLine(new ServeCommand(defaultModel, out), out, err));
        cl.addSubcommand("help", Cli.commandLine(new CommandLine.HelpCommand(), out, err));
        CommandLine completion = Cli.commandLine(new AutoComplete.GenerateCompletion(), out, err);
        completion.getCommandSpec().usageMessage().hidden(true);
        cl.addSubcommand("generate-completion", completion);
        return cl;
    }

    public static int run(String[] args, Path defaultModel, PrintStream out, PrintStream err) {
        return commandLine(defaultModel, out, err).execute(args);
    }

    /** {@code offramp} alone: the usage, as a usage error. */
    @Override
    public Integer call() {
        err.print(spec.commandLine().getUsageMessage());
        return CommandLine.ExitCode.USAGE;
    }
}
