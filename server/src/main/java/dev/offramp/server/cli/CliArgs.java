package dev.offramp.server.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code --key value} options and {@code --flag} switches after a subcommand. Every option must be one the
 * subcommand declared; anything else is a usage error that names it.
 */
final class CliArgs {
    private final String command;
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();

    String command() {
        return command;
    }

    CliArgs(String command, String[] args, Set<String> options, Set<String> switches) {
        this.command = command;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new UsageException(command + ": unexpected argument " + a);
            }
            String key = a.substring(2);
            if (switches.contains(key)) {
                flags.add(key);
            } else if (options.contains(key)) {
                if (i + 1 >= args.length) {
                    throw new UsageException(command + ": --" + key + " needs a value");
                }
                values.put(key, args[++i]);
            } else {
                throw new UsageException(command + ": unknown option --" + key + "; expected one of "
                        + options.stream().sorted().map(o -> "--" + o).toList()
                        + (switches.isEmpty() ? "" : " or " + switches.stream().sorted().map(o -> "--" + o).toList()));
            }
        }
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    Path path(String name, Path fallback) {
        return values.containsKey(name) ? Path.of(values.get(name)) : fallback;
    }

    int integer(String name, int fallback) {
        return parse(name, fallback, Integer::parseInt, "an integer");
    }

    long longValue(String name, long fallback) {
        return parse(name, fallback, Long::parseLong, "an integer");
    }

    float number(String name, float fallback) {
        return parse(name, fallback, Float::parseFloat, "a number");
    }

    private <T> T parse(String name, T fallback, Function<String, T> parser, String expected) {
        String v = values.get(name);
        try {
            return v == null ? fallback : parser.apply(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " expects " + expected + ", found " + v);
        }
    }

    /** Comma-separated token ids, e.g. {@code 1,403,407}. */
    int[] ids(String name) {
        String v = values.get(name);
        try {
            String[] parts = v.split(",");
            int[] out = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                out[i] = Integer.parseInt(parts[i].trim());
            }
            return out;
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " expects comma-separated integers, found " + v);
        }
    }

    /** A usage error: printed with the command's usage, exit status 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
