package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** One sequence's tokens inside a step: consecutive positions [start, start + count) at the same depth. */
final class Row {
    final Sequence seq;
    final int start;      // position of the first token
    final int count;      // tokens in this row
    NDArray hidden;       // [count, width] output of the last layer run (the embedding before any)
    NDArray previous;     // [count, width] the input of the last layer run, for cos(h_l, h_{l-1}); null before any
    float[] vector;       // [count * width] when set, FewTokens' current hidden state: hidden and previous are not
    float[] previousVector;
    NDArray cos;          // [count, 1, headDim], null without RoPE
    NDArray sin;          // [count, 1, headDim]
    NDArray mask;         // [count, 1, start + count] causal, only when count > 1
    int layer;            // layers run (or skipped) so far
    int[] vocab;          // token ids of a pruned LM head, null for the full vocabulary
    Matrix head;          // the LM head's rows for those ids, [vocab.length, width] (owned by the step)
    Kernel headKernel;    // the kernel of the head's form it was gathered from

    Row(Sequence seq, int start, int count) {
        this.seq = seq;
        this.start = start;
        this.count = count;
    }

    /** Moves this row's arrays into {@code target}, so they outlive the manager that made them. */
    void attach(NDManager target) {
        for (NDArray a : new NDArray[] {hidden, previous, cos, sin, mask}) {
            if (a != null) {
                a.attach(target);
            }
        }
    }

    /** Additive mask: the token at position start + t sees keys 0..start + t. */
    static NDArray causalMask(NDManager manager, int start, int count) {
        int keys = start + count;
        float[] m = new float[count * keys];
        for (int t = 0; t < count; t++) {
            for (int s = start + t + 1; s < keys; s++) {
                m[t * keys + s] = Float.NEGATIVE_INFINITY;
            }
        }
        return manager.create(m, new Shape(count, 1, keys));
    }
}
