package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.TensorOps;

/**
 * One sequence's KV cache: for every layer, keys and values preallocated to the context length and written in
 * place. Each layer remembers how far it is filled, because a token that exited early leaves deeper layers behind
 * (to be filled later for that position), and speculative tokens that were rejected are cropped away.
 */
public final class Sequence implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;    // per layer [context, kvHeads, headDim]
    private final NDArray[] values;  // per layer [context, kvHeads, headDim]
    private final int[] filled;      // per layer: positions [0, filled) hold valid K/V
    private final java.nio.FloatBuffer[] keyMemory;    // per layer, the cache's own memory (CPU), made on first use
    private final java.nio.FloatBuffer[] valueMemory;
    private static final long[] UNIT_STEPS = {1, 1, 1};
    private final int context;
    private final long kvHeads;
    private final long headDim;
    private int length;              // tokens fed so far

    Sequence(NDManager parent, ModelConfig c) {
        this.manager = parent.newSubManager();
        this.context = c.contextLength();
        this.kvHeads = c.kvHeads();
        this.headDim = c.headDim();
        this.keys = new NDArray[c.layers()];
        this.values = new NDArray[c.layers()];
        this.filled = new int[c.layers()];
        this.keyMemory = new java.nio.FloatBuffer[c.layers()];
        this.valueMemory = new java.nio.FloatBuffer[c.layers()];
        Shape shape = new Shape(context, c.kvHeads(), c.headDim());
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = manager.zeros(shape);
            values[l] = manager.zeros(shape);
        }
    }

    /** Tokens fed so far: the position the next token takes. */
    public int length() {
        return length;
    }

    public int context() {
        return context;
    }

    /** How many leading positions of {@code layer} (1-based) hold valid keys and values. */
    public int filled(int layer) {
        return filled[layer - 1];
    }

    /** Forgets every position at or beyond {@code newLength} (rolled-back speculative tokens). */
    public void crop(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("crop to " + newLength + ": expected 0.." + length);
        }
        length = newLength;
        for (int l = 0; l < filled.length; l++) {
            filled[l] = Math.min(filled[l], newLength);
        }
    }

    /** Reserves positions [length, length + count) for a step's tokens; returns the first. */
    int append(int count) {
        if (length + count > context) {
            throw new IllegalArgumentException("sequence of " + (length + count) + " tokens: expected at most the "
                    + "context length " + context);
        }
        int start = length;
        length += count;
        return start;
    }

    /** Writes K/V [count, kvHeads, hd] (tensor handles) for positions [start, start + count) of a 0-based layer. */
    void write(int layer, int start, int count, long k, long v) {
        checkWrite(layer, start);
        int end = start + count;
        long[] from = {start, 0, 0};
        long[] to = {end, kvHeads, headDim};
        TensorOps.indexPut(Tape.handle(keys[layer]), k, from, to, UNIT_STEPS);
        TensorOps.indexPut(Tape.handle(values[layer]), v, from, to, UNIT_STEPS);
        filled[layer] = Math.max(filled[layer], end);
    }

    /**
     * Writes one position's K/V straight into the cache's memory (CPU): {@code kvHeads * headDim} floats of each
     * from {@code k[kFrom]}, {@code v[vFrom]}.
     */
    void write(int layer, int position, float[] k, int kFrom, float[] v, int vFrom) {
        checkWrite(layer, position);
        if (keyMemory[layer] == null) {
            keyMemory[layer] = TensorOps.memory(Tape.handle(keys[layer])).asFloatBuffer();
            valueMemory[layer] = TensorOps.memory(Tape.handle(values[layer])).asFloatBuffer();
        }
        int width = (int) (kvHeads * headDim);
        keyMemory[layer].put(position * width, k, kFrom, width);
        valueMemory[layer].put(position * width, v, vFrom, width);
        filled[layer] = Math.max(filled[layer], position + 1);
    }

    private void checkWrite(int layer, int start) {
        if (start > filled[layer]) {
            throw new IllegalStateException("layer " + (layer + 1) + ": K/V filled up to position " + filled[layer]
                    + ", cannot write at " + start + " (the positions between were skipped and never filled)");
        }
    }

    /** Views [end, kvHeads, hd] of the first {@code end} positions of a 0-based layer, recorded on {@code t}. */
    long keys(int layer, int end, Tape t) {
        return t.keep(TensorOps.slice(Tape.handle(keys[layer]), 0, 0, end));
    }

    long values(int layer, int end, Tape t) {
        return t.keep(TensorOps.slice(Tape.handle(values[layer]), 0, 0, end));
    }

    /** Keys or values of positions [0, end) of a layer (1-based), [end * kvHeads * headDim]: for tests and tools. */
    float[] kvSnapshot(int layer, int end, boolean keys) {
        NDArray src = keys ? this.keys[layer - 1] : values[layer - 1];
        try (NDArray view = src.get(new NDIndex().addSliceDim(0, end))) {
            return view.toFloatArray();
        }
    }

    /** Frees this sequence's KV memory. */
    @Override
    public void close() {
        java.util.Arrays.fill(keyMemory, null);  // they point into the memory freed below
        java.util.Arrays.fill(valueMemory, null);
        manager.close();
    }
}
