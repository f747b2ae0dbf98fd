package dev.offramp.server.cli;

import dev.offramp.model.ModelLoadException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;

/** Dispatches a subcommand and maps every failure to a message and an exit status, in one place. */
public final class Commands {
    private static final String USAGE = "usage: offramp <command> [options]\n  " + GenerateCommand.USAGE + "\n  "
            + LayersCommand.USAGE + "\n  " + ServeCommand.USAGE;

    private Commands() {}

    public static int run(String[] args, Path defaultModel, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            err.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            switch (args[0]) {
                case "generate" -> GenerateCommand.run(rest, defaultModel, out);
                case "layers" -> LayersCommand.run(rest, defaultModel, out);
                case "serve" -> ServeCommand.run(rest, defaultModel, out);
                default -> throw new CliArgs.UsageException("unknown command " + args[0]);
            }
            return 0;
        } catch (CliArgs.UsageException e) {
            err.println("offramp: " + e.getMessage() + "\n" + USAGE);
            return 2;
        } catch (IllegalArgumentException e) {
            err.println("offramp: " + e.getMessage());
            return 2;
        } catch (ModelLoadException e) {
            err.println("offramp: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("offramp: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }
}
