package dev.offramp.server.cli;

import dev.offramp.model.cli.UsageException;

/** {@code --prompt-ids}: comma-separated token ids, e.g. {@code 1,403,407}. */
final class Ids {
    private Ids() {}

    static int[] parse(String command, String value) {
        try {
            String[] parts = value.split(",");
            int[] out = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                out[i] = Integer.parseInt(parts[i].trim());
            }
            return out;
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --prompt-ids expects comma-separated integers, found " + value);
        }
    }
}
