package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.TensorOps;

/**
 * The intermediates of one layer step as raw tensor handles ({@link TensorOps}): each op's result is recorded and
 * deleted when the tape closes, except what {@link #wrap} hands out as an NDArray of a manager. A layer step makes
 * ~37 intermediates; through NDArrays each would cost DJL's per-array bookkeeping as well as the op.
 */
final class Tape implements AutoCloseable {
    private long[] handles = new long[64];
    private int size;

    /** Records a new tensor for deletion at {@link #close}; returns it. */
    long keep(long h) {
        if (size == handles.length) {
            handles = java.util.Arrays.copyOf(handles, size * 2);
        }
        handles[size++] = h;
        return h;
    }

    long[] keepAll(long[] hs) {
        for (long h : hs) {
            keep(h);
        }
        return hs;
    }

    /** The handle of an array that stays owned by its manager. */
    static long handle(NDArray a) {
        return ((PtNDArray) a).getHandle();
    }

    /** Hands tensor {@code h} (recorded or not) to {@code manager} as an NDArray: the tape no longer deletes it. */
    NDArray wrap(long h, NDManager manager) {
        for (int i = size - 1; i >= 0; i--) {
            if (handles[i] == h) {
                handles[i] = handles[--size];
                break;
            }
        }
        return new PtNDArray((PtNDManager) manager, h);
    }

    @Override
    public void close() {
        for (int i = size - 1; i >= 0; i--) {
            TensorOps.delete(handles[i]);
        }
        size = 0;
    }
}
