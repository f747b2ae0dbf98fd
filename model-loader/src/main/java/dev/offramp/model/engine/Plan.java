package dev.offramp.model.engine;

import dev.offramp.model.PendingRow;
import dev.offramp.model.Step;
import dev.offramp.model.StepInput;
import java.util.List;

/**
 * How a slot's tokens travel through the layers of the batch's shared steps: the one protocol {@link Batch} speaks.
 * Per step, in this order: {@link #carry} the rows waiting from earlier steps, the {@link #input} fed now, then
 * {@link #begin}; for each layer the {@link #rows} that run it, a {@link #checkRow} for the layer's LM-head pass and
 * {@link #afterLayer}; the {@link #finalRow} of the step's output pass; {@link #finish}.
 */
sealed interface Plan extends AutoCloseable permits LayerPlan, SpeculativePlan {
    /** Puts the rows this slot carries into the step's carried rows. */
    void carry(List<PendingRow> into);

    /** The tokens fed in this step, or null for none. */
    StepInput input(Slot s);

    /** The step has started: the fed tokens are row {@code row} (-1 when none were fed). */
    void begin(int row, int depthCap);

    /** Adds this slot's rows that run (or skip) layer {@code l}, counting their layers in {@code out}. */
    void rows(int l, Step step, IntList runs, IntList skips, Tokens out);

    /** The row whose full-vocabulary exit this slot needs after layer {@code l}, or -1. */
    int checkRow(int l);

    /** After layer {@code l}, with the exit logits of {@link #checkRow} (null if it asked for none). */
    void afterLayer(int l, Step step, float[] headLogits, Tokens out);

    /** The row whose exit after its last layer the step's output pass computes, or -1. */
    int finalRow();

    /** Ends the step for this slot (with {@link #finalRow}'s logits); returns whether the slot goes on. */
    boolean finish(Slot s, Step step, float[] finalLogits);

    /** Layers whose K/V the last {@link #finish} filled by propagation (a budget controller's cost input). */
    int propagated();

    /** Layers this step ran, so far, for rows an earlier exit deferred (recompute), counted per token. */
    default int deferredRun() {
        return 0;
    }

    /** Frees rows held between steps. */
    @Override
    void close();
}
