package dev.offramp.model;

/**
 * One layer's exit adapter: the exit after layer k becomes {@code lmHead(gain * finalNorm(h + up(down(h))))} instead
 * of {@code lmHead(finalNorm(h))} — a low-rank residual before the shared final norm and a per-channel gain after it
 * (the final norm's own gain stays folded into the head). Identity: gain all ones, {@code up} all zeros.
 *
 * @param layer the 1-based layer whose exit it adapts (never the last: that exit is the model's output)
 * @param gain  [hidden]
 * @param down  A, [rank, hidden] row-major
 * @param up    B, [hidden, rank] row-major
 */
public record ExitAdapter(int layer, int rank, float[] gain, float[] down, float[] up) {
    public ExitAdapter {
        if (layer < 1) {
            throw new IllegalArgumentException("exit adapter: expected a layer >= 1, found " + layer);
        }
        if (rank < 0 || down.length != rank * gain.length || up.length != rank * gain.length) {
            throw new IllegalArgumentException("exit adapter for layer " + layer + ": expected down [" + rank + ", "
                    + gain.length + "] and up [" + gain.length + ", " + rank + "], found " + down.length + " and "
                    + up.length + " values");
        }
    }

    public int hidden() {
        return gain.length;
    }

    /** x[from..from+hidden) += B·A·x[from..from+hidden): one token's residual, in place. */
    void addResidual(float[] x, int from) {
        int n = hidden();
        if (Kernel.VECTOR_API && VectorProduct.stride(n) == n && VectorProduct.stride(rank) == rank) {
            // the vector kernel's rows (measured ~6x the scalar loops below at hidden 64, rank 64)
            float[] h = java.util.Arrays.copyOfRange(x, from, from + n);
            float[] a = VectorProduct.apply(down, rank, n, h, 1, null, 1);
            float[] r = VectorProduct.apply(up, n, rank, a, 1, null, 1);
            for (int i = 0; i < n; i++) {
                x[from + i] += r[i];
            }
            return;
        }
        float[] a = new float[rank];
        for (int j = 0; j < rank; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += (double) down[j * n + i] * x[from + i];
            }
            a[j] = (float) s;
        }
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < rank; j++) {
                s += (double) up[i * rank + j] * a[j];
            }
            x[from + i] += (float) s;
        }
    }

    /** x[from..from+hidden) *= gain: one normed token, in place. */
    void scale(float[] x, int from) {
        for (int i = 0; i < gain.length; i++) {
            x[from + i] *= gain[i];
        }
    }
}
