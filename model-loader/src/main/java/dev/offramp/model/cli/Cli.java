package dev.offramp.model.cli;

import dev.offramp.model.ModelLoadException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * Runs a picocli command and maps every outcome to a message and an exit status, in one place: 0 success (and
 * {@code --help}, {@code --version}), 1 a model that cannot be loaded or another failure, 2 a usage error (the
 * message names the option and the expected form).
 */
public final class Cli {
    private Cli() {}

    /** {@code command} with the project's settings: usage to {@code out}, errors to {@code err}. */
    public static CommandLine commandLine(Object command, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setUsageHelpWidth(110);
        cl.setOverwrittenOptionsAllowed(true);  // as before picocli: an option given twice takes its last value
        cl.setParameterExceptionHandler(Cli::usageError);
        cl.setExecutionExceptionHandler((e, line, parsed) -> failure(e, line));
        return cl;
    }

    public static int run(Object command, String[] args, PrintStream out, PrintStream err) {
        return commandLine(command, out, err).execute(args);
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine line = e.getCommandLine();
        PrintWriter err = line.getErr();
        if (e instanceof CommandLine.UnmatchedArgumentException u && line.getParent() == null
                && !line.getSubcommands().isEmpty() && !u.getUnmatched().isEmpty()) {
            err.println(prefix(line) + "unknown command " + u.getUnmatched().get(0) + "; expected one of "
                    + String.join(", ", line.getSubcommands().entrySet().stream()
                            .filter(c -> !c.getValue().getCommandSpec().usageMessage().hidden())
                            .map(java.util.Map.Entry::getKey).toList()));
            err.println("Try '" + line.getCommandSpec().qualifiedName() + " --help' for usage.");
            return CommandLine.ExitCode.USAGE;
        }
        err.println(prefix(line) + e.getMessage());
        if (e instanceof CommandLine.UnmatchedArgumentException u) {
            CommandLine.UnmatchedArgumentException.printSuggestions(u, err);
        }
        err.println("Try '" + line.getCommandSpec().qualifiedName() + " --help' for usage.");
        return CommandLine.ExitCode.USAGE;
    }

    private static int failure(Exception e, CommandLine line) {
        PrintWriter err = line.getErr();
        if (e instanceof UsageException) {
            err.println("offramp: " + e.getMessage());
            err.println("Try '" + line.getCommandSpec().qualifiedName() + " --help' for usage.");
            return CommandLine.ExitCode.USAGE;
        }
        if (e instanceof IllegalArgumentException) {
            err.println("offramp: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }
        // A model or file that cannot be read or written is the user's to fix (the message says which); the rest, ours.
        boolean expected = e instanceof ModelLoadException || e instanceof UncheckedIOException;
        err.println("offramp: " + (expected ? e.getMessage() : e.toString()));
        if (!expected) {
            e.printStackTrace(err);
        }
        return CommandLine.ExitCode.SOFTWARE;
    }

    private static String prefix(CommandLine line) {
        return line.getCommandSpec().qualifiedName() + ": ";
    }
}
