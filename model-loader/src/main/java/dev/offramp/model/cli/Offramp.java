package dev.offramp.model.cli;

import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code offramp}: the root of the command line. Its subcommands are those of every {@link CommandSet} on the
 * classpath (the server's, the benchmarks'), then {@code help} and the hidden {@code generate-completion};
 * {@link Cli} maps every outcome to a message and an exit status.
 */
@Command(name = "offramp", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Early-exit LLM inference: generate, inspect layers, serve over HTTP, and measure.",
        commandListHeading = "%nCommands (each answers --help):%n",
        footer = {"", "Exit status: 0 success, 1 a model or file that cannot be loaded, 2 a usage error.",
                  "Bash completion: source offramp-completion.bash"})
public final class Offramp implements Callable<Integer> {
    private final CliContext context;
    @Spec
    private CommandSpec spec;

    private Offramp(CliContext context) {
        this.context = context;
    }

    /** The whole command tree, as the launcher runs it and as the completion script is generated from. */
    public static CommandLine commandLine(CliContext context) {
        CommandLine root = Cli.commandLine(new Offramp(context), context.out(), context.err());
        for (CommandSet set : ServiceLoader.load(CommandSet.class)) {
            for (Object command : set.commands(context)) {
                CommandLine sub = Cli.commandLine(command, context.out(), context.err());
                root.addSubcommand(sub.getCommandName(), sub);
            }
        }
        root.addSubcommand("help", Cli.commandLine(new CommandLine.HelpCommand(), context.out(), context.err()));
        CommandLine completion = Cli.commandLine(new AutoComplete.GenerateCompletion(), context.out(), context.err());
        completion.getCommandSpec().usageMessage().hidden(true);
        root.addSubcommand("generate-completion", completion);
        return root;
    }

    public static int run(String[] args, CliContext context) {
        return commandLine(context).execute(args);
    }

    /** {@code offramp} alone: the usage, as a usage error. */
    @Override
    public Integer call() {
        context.err().print(spec.commandLine().getUsageMessage());
        return CommandLine.ExitCode.USAGE;
    }
}
