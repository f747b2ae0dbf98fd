package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.TensorOps;

/**
 * A model's exit adapters in the forms the two paths use: Java floats for {@link FewTokens}, and stream-width tensors
 * for the tensor path (a zero column / row / unit gain for the RMSNorm constant column, see {@link Weights}), so the
 * adapter costs two thin products and a multiply on the exit it adapts, nothing on the others.
 */
final class AdaptedExits {
    /** One layer's adapter as tensors: down [rank, width], up [width, rank], gain [width]; down/up null at rank 0. */
    record Tensors(NDArray down, NDArray up, NDArray gain) {}

    private final ExitAdapter[] floats;  // index: layer; null where a layer has none
    private final Tensors[] tensors;
    private final ExitAdapters source;

    AdaptedExits(ExitAdapters adapters, ModelConfig c, long width, NDManager manager) {
        this.source = adapters;
        this.floats = new ExitAdapter[c.layers() + 1];
        this.tensors = new Tensors[c.layers() + 1];
        int h = c.hidden();
        for (ExitAdapter a : adapters.adapters()) {
            floats[a.layer()] = a;
            int w = (int) width;
            float[] gain = new float[w];
            java.util.Arrays.fill(gain, 1f);
            System.arraycopy(a.gain(), 0, gain, 0, h);
            NDArray down = null;
            NDArray up = null;
            if (a.rank() > 0) {
                float[] d = new float[a.rank() * w];
                for (int j = 0; j < a.rank(); j++) {
                    System.arraycopy(a.down(), j * h, d, j * w, h);
                }
                float[] u = new float[w * a.rank()];
                System.arraycopy(a.up(), 0, u, 0, h * a.rank());  // row-major [hidden, rank], then a zero row
                down = manager.create(d, new Shape(a.rank(), w));
                up = manager.create(u, new Shape(w, a.rank()));
            }
            tensors[a.layer()] = new Tensors(down, up, manager.create(gain, new Shape(w)));
        }
    }

    /** Layer {@code layer}'s adapter, or null. */
    ExitAdapter at(int layer) {
        return layer < floats.length ? floats[layer] : null;
    }

    ExitAdapters adapters() {
        return source;
    }

    /** x [rows, width] → the adapted, normed exit input of layer {@code layer}: what the LM head reads. */
    long input(long x, int layer, Transformer model, Tape t) {
        Tensors a = layer < tensors.length ? tensors[layer] : null;
        if (a == null) {
            return LayerMath.norm(x, model, t);
        }
        long h = x;
        if (a.down() != null) {
            long low = t.keep(TensorOps.linear(x, Tape.handle(a.down()), 0));        // [rows, rank]
            h = t.keep(TensorOps.linear(low, Tape.handle(a.up()), x));               // x + B·A·x
        }
        return t.keep(TensorOps.mul(LayerMath.norm(h, model, t), Tape.handle(a.gain())));
    }
}
