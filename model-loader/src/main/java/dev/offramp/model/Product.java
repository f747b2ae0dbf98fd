package dev.offramp.model;

/** The matrix products of a decoder layer and the LM head: each has its own row in a {@link KernelPlan}. */
public enum Product {
    QKV, O, UP, DOWN, HEAD;

    public String label() {
        return switch (this) {
            case QKV -> "q|k|v";
            case O -> "o";
            case UP -> "gate|up";
            case DOWN -> "down";
            case HEAD -> "lm head";
        };
    }
}
