package dev.offramp.model.engine;

import java.util.Arrays;
import java.util.Locale;

/** Decoding modes (DESIGN.md). {@code full} runs every layer; {@code static} exits every token after layer k. */
public enum Mode {
    FULL, STATIC;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Mode parse(String s) {
        for (Mode m : values()) {
            if (m.wireName().equals(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("mode: expected one of "
                + Arrays.stream(values()).map(Mode::wireName).toList() + ", found " + s);
    }
}
