package dev.offramp.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * x W^T for a few rows in Java with the JDK's Vector API: the {@link Kernel.Layout#VECTOR} kernel. Each weight
 * row is loaded once per block of input rows (8, 4, 2 or 1) and used for each, so four rows cost far less than four
 * products; libtorch's kernels here (MKL's generic GEMV path on AMD, float16 converted per row) grow almost
 * linearly with rows instead (measured in "Devices, threads and kernels"). A row's result does not depend on the
 * other rows in the product: every row runs the same lane-wise sums in the same order.
 *
 * <p>Only loaded when {@link Kernel#VECTOR_API}: the JVM must run with {@code --add-modules jdk.incubator.vector}.
 */
final class VectorProduct {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** A shared product's outputs are cut into this many chunks per thread (see {@link ProductCrew}). */
    private static final int CHUNKS_PER_THREAD = 4;

    private VectorProduct() {
    }

    /** Row stride of a weight matrix with {@code in} columns: padded with zeros to whole vectors. */
    static int stride(int in) {
        return (in + S.length() - 1) / S.length() * S.length();
    }

    /** W [out, in] float32 row-major → the padded form {@link #apply} reads: [out, stride(in)]. */
    static float[] pad(float[] w, int out, int in) {
        int stride = stride(in);
        if (stride == in) {
            return w;
        }
        float[] padded = new float[out * stride];
        for (int j = 0; j < out; j++) {
            System.arraycopy(w, j * in, padded, j * stride, in);
        }
        return padded;
    }

    /**
     * y [n, out] = x [n, in] W^T for W in {@link #pad}'s form, its outputs shared among {@code threads} threads of
     * {@code crew} (null: the calling thread alone). Each output is computed whole by one thread, in the same order
     * whatever the split, so the result does not depend on the thread count.
     */
    static float[] apply(float[] w, int out, int in, float[] x, int n, ProductCrew crew, int threads) {
        return apply(w, out, in, x, n, crew, threads, 0, out);
    }

    /**
     * {@link #apply} for outputs {@code [first, last)} only (the others are left 0), each computed as the whole
     * product computes it: a propagated K/V fill needs the k|v part of q|k|v.
     */
    static float[] apply(float[] w, int out, int in, float[] x, int n, ProductCrew crew, int threads, int first,
                         int last) {
        int stride = stride(in);
        float[] xs = x;
        if (stride != in) {
            xs = new float[n * stride];
            for (int r = 0; r < n; r++) {
                System.arraycopy(x, r * in, xs, r * stride, in);
            }
        }
        float[] y = new float[n * out];
        if (crew == null || threads == 1) {
            rows(w, out, stride, xs, n, y, first, last);
        } else {
            float[] input = xs;
            int span = last - first;
            int chunks = Math.min(span, threads * CHUNKS_PER_THREAD);
            crew.run(threads, chunks, c -> rows(w, out, stride, input, n, y, first + span * c / chunks,
                    first + span * (c + 1) / chunks));
        }
        return y;
    }

    /** Outputs {@code [from, to)} of every row, in blocks of 8, 4, 2 and 1 rows. */
    private static void rows(float[] w, int out, int stride, float[] xs, int n, float[] y, int from, int to) {
        int r = 0;
        for (; r + 8 <= n; r += 8) {
            eight(w, out, stride, xs, r, y, from, to);
        }
        for (; r + 4 <= n; r += 4) {
            four(w, out, stride, xs, r, y, from, to);
        }
        for (; r + 2 <= n; r += 2) {
            two(w, out, stride, xs, r, y, from, to);
        }
        if (r < n) {
            one(w, out, stride, xs, r, y, from, to);
        }
    }

    // The blocks are written out, one accumulator per local: C2 keeps locals in vector registers, while an array of
    // accumulators (one loop for every block size) would be boxed FloatVectors on the heap.
    private static void eight(float[] w, int out, int stride, float[] x, int r, float[] y, int from, int to) {
        int x0 = r * stride;
        for (int j = from; j < to; j++) {
            int wj = j * stride;
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector a4 = a0;
            FloatVector a5 = a0;
            FloatVector a6 = a0;
            FloatVector a7 = a0;
            for (int k = 0; k < stride; k += S.length()) {
                FloatVector wv = FloatVector.fromArray(S, w, wj + k);
                int xk = x0 + k;
                a0 = wv.fma(FloatVector.fromArray(S, x, xk), a0);
                a1 = wv.fma(FloatVector.fromArray(S, x, xk + stride), a1);
                a2 = wv.fma(FloatVector.fromArray(S, x, xk + 2 * stride), a2);
                a3 = wv.fma(FloatVector.fromArray(S, x, xk + 3 * stride), a3);
                a4 = wv.fma(FloatVector.fromArray(S, x, xk + 4 * stride), a4);
                a5 = wv.fma(FloatVector.fromArray(S, x, xk + 5 * stride), a5);
                a6 = wv.fma(FloatVector.fromArray(S, x, xk + 6 * stride), a6);
                a7 = wv.fma(FloatVector.fromArray(S, x, xk + 7 * stride), a7);
            }
            y[r * out + j] = a0.reduceLanes(VectorOperators.ADD);
            y[(r + 1) * out + j] = a1.reduceLanes(VectorOperators.ADD);
            y[(r + 2) * out + j] = a2.reduceLanes(VectorOperators.ADD);
            y[(r + 3) * out + j] = a3.reduceLanes(VectorOperators.ADD);
            y[(r + 4) * out + j] = a4.reduceLanes(VectorOperators.ADD);
            y[(r + 5) * out + j] = a5.reduceLanes(VectorOperators.ADD);
            y[(r + 6) * out + j] = a6.reduceLanes(VectorOperators.ADD);
            y[(r + 7) * out + j] = a7.reduceLanes(VectorOperators.ADD);
        }
    }

    private static void four(float[] w, int out, int stride, float[] x, int r, float[] y, int from, int to) {
        int x0 = r * stride;
        int x1 = x0 + stride;
        int x2 = x1 + stride;
        int x3 = x2 + stride;
        for (int j = from; j < to; j++) {
            int wj = j * stride;
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int k = 0; k < stride; k += S.length()) {
                FloatVector wv = FloatVector.fromArray(S, w, wj + k);
                a0 = wv.fma(FloatVector.fromArray(S, x, x0 + k), a0);
                a1 = wv.fma(FloatVector.fromArray(S, x, x1 + k), a1);
                a2 = wv.fma(FloatVector.fromArray(S, x, x2 + k), a2);
                a3 = wv.fma(FloatVector.fromArray(S, x, x3 + k), a3);
            }
            y[r * out + j] = a0.reduceLanes(VectorOperators.ADD);
            y[(r + 1) * out + j] = a1.reduceLanes(VectorOperators.ADD);
            y[(r + 2) * out + j] = a2.reduceLanes(VectorOperators.ADD);
            y[(r + 3) * out + j] = a3.reduceLanes(VectorOperators.ADD);
        }
    }

    private static void two(float[] w, int out, int stride, float[] x, int r, float[] y, int from, int to) {
        int x0 = r * stride;
        int x1 = x0 + stride;
        for (int j = from; j < to; j++) {
            int wj = j * stride;
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            for (int k = 0; k < stride; k += S.length()) {
                FloatVector wv = FloatVector.fromArray(S, w, wj + k);
                a0 = wv.fma(FloatVector.fromArray(S, x, x0 + k), a0);
                a1 = wv.fma(FloatVector.fromArray(S, x, x1 + k), a1);
            }
            y[r * out + j] = a0.reduceLanes(VectorOperators.ADD);
            y[(r + 1) * out + j] = a1.reduceLanes(VectorOperators.ADD);
        }
    }

    private static void one(float[] w, int out, int stride, float[] x, int r, float[] y, int from, int to) {
        int x0 = r * stride;
        for (int j = from; j < to; j++) {
            int wj = j * stride;
            FloatVector a0 = FloatVector.zero(S);
            for (int k = 0; k < stride; k += S.length()) {
                a0 = FloatVector.fromArray(S, w, wj + k).fma(FloatVector.fromArray(S, x, x0 + k), a0);
            }
            y[r * out + j] = a0.reduceLanes(VectorOperators.ADD);
        }
    }
}
