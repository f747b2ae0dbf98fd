package dev.offramp.bench.eval;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code --key value} options and {@code --switch}es after a subcommand. Every option must be one the subcommand
 * declared; anything else is a usage error that names it.
 */
final class Flags {
    private final String command;
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> switches = new HashSet<>();

    Flags(String command, String[] args, Set<String> options, Set<String> switchNames) {
        this.command = command;
        for (int i = 0; i < args.length; i++) {
            String key = args[i].startsWith("--") ? args[i].substring(2) : null;
            if (key != null && switchNames.contains(key)) {
                switches.add(key);
            } else if (key != null && options.contains(key)) {
                if (i + 1 >= args.length) {
                    throw new UsageException(command + ": --" + key + " needs a value");
                }
                values.put(key, args[++i]);
            } else {
                throw new UsageException(command + ": unknown option " + args[i] + "; expected one of "
                        + spelled(options) + (switchNames.isEmpty() ? "" : " or " + spelled(switchNames)));
            }
        }
    }

    boolean flag(String name) {
        return switches.contains(name);
    }

    /** The value, or null when not given. */
    String string(String name) {
        return values.get(name);
    }

    String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException(command + ": --" + name + " is required");
        }
        return v;
    }

    Path path(String name, Path fallback) {
        return values.containsKey(name) ? Path.of(values.get(name)) : fallback;
    }

    /** The value, or null when not given. */
    Integer integer(String name) {
        return parse(name, Integer::valueOf, "an integer");
    }

    int integer(String name, int fallback) {
        Integer v = integer(name);
        return v == null ? fallback : v;
    }

    /** The value, or null when not given. */
    Double number(String name) {
        return parse(name, Double::valueOf, "a number");
    }

    private <T> T parse(String name, Function<String, T> parser, String expected) {
        String v = values.get(name);
        try {
            return v == null ? null : parser.apply(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " expects " + expected + ", found " + v);
        }
    }

    private static java.util.List<String> spelled(Set<String> names) {
        return names.stream().sorted().map(o -> "--" + o).toList();
    }

    /** A usage error: exit status 2. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
