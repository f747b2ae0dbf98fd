package dev.offramp.model;

/** The tokens one sequence feeds into a step, at positions [sequence.length(), sequence.length() + tokens). */
public record StepInput(Sequence sequence, int[] tokens) {
    public StepInput {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a step needs at least one token per sequence, found none");
        }
        tokens = tokens.clone();
    }
}
