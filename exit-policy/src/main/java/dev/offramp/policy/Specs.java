package dev.offramp.policy;

import java.util.Objects;

/** Shared by the leaf policies: parameter checks with "expected X, found Y" messages, and canonical spec text. */
final class Specs {
    private Specs() {
    }

    /** {@code value} if {@code ok}, else "{@code policy}: {@code key} expected {@code expected}, found value". */
    static float require(boolean ok, String policy, String key, String expected, float value) {
        if (!ok) {
            throw new IllegalArgumentException(policy + ": " + key + " expected " + expected + ", found " + value);
        }
        return value;
    }

    static int require(boolean ok, String policy, String key, String expected, int value) {
        if (!ok) {
            throw new IllegalArgumentException(policy + ": " + key + " expected " + expected + ", found " + value);
        }
        return value;
    }

    static LayerSet layers(LayerSet layers) {
        return Objects.requireNonNull(layers, "layers");
    }

    /** {@code name:key=value,…} followed by the layer set's own keys when it has any. */
    static String leaf(String name, LayerSet layers, String params) {
        String where = layers.toString();
        return name + ":" + params + (where.isEmpty() ? "" : "," + where);
    }
}
