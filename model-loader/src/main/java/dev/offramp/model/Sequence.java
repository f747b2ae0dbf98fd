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
    // laid out as attention reads them, so a prefix is a view its batched products take as is
    private final NDArray[] keys;    // per layer [kvHeads, headDim, context]
    private final NDArray[] values;  // per layer [kvHeads, context, headDim]
    private final int[] filled;      // per layer: positions [0, filled) hold valid K/V
    private final java.nio.FloatBuffer[] keyMemory;    // per layer, the cache's own memory (CPU), made on first use
    private final java.nio.FloatBuffer[] valueMemory;
    private final java.nio.ByteBuffer[] keyBytes;       // the same memory, for the Vector API's loads
    private final java.nio.ByteBuffer[] valueBytes;
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
        this.keyBytes = new java.nio.ByteBuffer[c.layers()];
        this.valueBytes = new java.nio.ByteBuffer[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = manager.zeros(new Shape(c.kvHeads(), c.headDim(), context));
            values[l] = manager.zeros(new Shape(c.kvHeads(), context, c.headDim()));
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
        long kt = TensorOps.permute(k, 1, 2, 0);  // [kvHeads, hd, count]
        long vt = TensorOps.permute(v, 1, 0, 2);  // [kvHeads, count, hd]
        try {
            TensorOps.indexPut(Tape.handle(keys[layer]), kt, new long[] {0, 0, start},
                    new long[] {kvHeads, headDim, end}, UNIT_STEPS);
            TensorOps.indexPut(Tape.handle(values[layer]), vt, new long[] {0, start, 0},
                    new long[] {kvHeads, end, headDim}, UNIT_STEPS);
        } finally {
            TensorOps.delete(kt);
            TensorOps.delete(vt);
        }
        filled[layer] = Math.max(filled[layer], end);
    }

    /**
     * Writes one position's K/V straight into the cache's memory (CPU): {@code kvHeads * headDim} floats of each
     * from {@code k[kFrom]}, {@code v[vFrom]}.
     */
    void write(int layer, int position, float[] k, int kFrom, float[] v, int vFrom) {
        checkWrite(layer, position);
        memory(layer);
        int hd = (int) headDim;
        for (int g = 0; g < kvHeads; g++) {
            for (int d = 0; d < hd; d++) {
                keyMemory[layer].put(((g * hd) + d) * context + position, k[kFrom + g * hd + d]);
            }
            valueMemory[layer].put((g * context + position) * hd, v, vFrom + g * hd, hd);
        }
        filled[layer] = Math.max(filled[layer], position + 1);
    }

    private void checkWrite(int layer, int start) {
        if (start > filled[layer]) {
            throw new IllegalStateException("layer " + (layer + 1) + ": K/V filled up to position " + filled[layer]
                    + ", cannot write at " + start + " (the positions between were skipped and never filled)");
        }
    }

    /** The cache's keys of a 0-based layer as memory (CPU, native order), [kvHeads, hd, context]. */
    java.nio.ByteBuffer keyBytes(int layer) {
        memory(layer);
        return keyBytes[layer];
    }

    /** The cache's values of a 0-based layer as memory (CPU, native order), [kvHeads, context, hd]. */
    java.nio.ByteBuffer valueBytes(int layer) {
        memory(layer);
        return valueBytes[layer];
    }

    private void memory(int layer) {
        if (keyMemory[layer] == null) {
            keyBytes[layer] = TensorOps.memory(Tape.handle(keys[layer]));
            valueBytes[layer] = TensorOps.memory(Tape.handle(values[layer]));
            keyMemory[layer] = keyBytes[layer].asFloatBuffer();
            valueMemory[layer] = valueBytes[layer].asFloatBuffer();
        }
    }

    /** The keys of the first {@code end} positions of a 0-based layer, a view [kvHeads, hd, end] recorded on t. */
    long keys(int layer, int end, Tape t) {
        return t.keep(TensorOps.slice(Tape.handle(keys[layer]), 2, 0, end));
    }

    /** The values of the first {@code end} positions of a 0-based layer, a view [kvHeads, end, hd] recorded on t. */
    long values(int layer, int end, Tape t) {
        return t.keep(TensorOps.slice(Tape.handle(values[layer]), 1, 0, end));
    }

    /** Keys or values of positions [0, end) of a layer (1-based), [end * kvHeads * headDim]: for tests and tools. */
    float[] kvSnapshot(int layer, int end, boolean keys) {
        NDArray src = keys ? this.keys[layer - 1] : values[layer - 1];
        NDIndex prefix = new NDIndex().addAllDim(keys ? 2 : 1).addSliceDim(0, end);
        try (NDArray view = src.get(prefix);
             NDArray byPosition = keys ? view.transpose(2, 0, 1) : view.transpose(1, 0, 2)) {
            return byPosition.toFloatArray();
        }
    }

    /** Frees this sequence's KV memory. */
    @Override
    public void close() {
        java.util.Arrays.fill(keyMemory, null);  // they point into the memory freed below
        java.util.Arrays.fill(valueMemory, null);
        java.util.Arrays.fill(keyBytes, null);
        java.util.Arrays.fill(valueBytes, null);
        manager.close();
    }
}
