package dev.offramp.model.engine;

/**
 * How a slot's tokens travel through the layers. {@link LayerPlan}s share one step per iteration with every other
 * such slot; a {@link SpeculativePlan} drafts and verifies in steps of its own.
 */
sealed interface Plan extends AutoCloseable permits LayerPlan, SpeculativePlan {
    /** Frees rows held between steps. */
    @Override
    void close();
}
