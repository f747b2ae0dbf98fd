package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.TensorOps;

/**
 * The few formulas a layer step is made of, with the weights' folding (see {@link Weights}) taken into account, on
 * tensor handles recorded on a {@link Tape}.
 */
final class LayerMath {
    private LayerMath() {}

    /**
     * The norm without its affine part (folded into the next matrix): LayerNorm, or RMSNorm as one
     * {@code normalize} over the stream's constant column (see {@link Weights}), up to a factor folded away too.
     */
    static long norm(long x, Transformer model, Tape t) {
        ModelConfig c = model.config();
        if (c.family() == ModelConfig.Family.GPT2) {
            return t.keep(TensorOps.layerNorm(x, new long[] {c.hidden()}, Tape.handle(model.normOnes),
                    Tape.handle(model.normZeros), c.normEps()));
        }
        return t.keep(TensorOps.normalize(x, 2, -1, Float.MIN_NORMAL));  // ||[x, c]|| >= c > 0: eps never applies
    }

    /**
     * The exit: lmHead(finalNorm(h)) for h [rows, width], [rows, vocab] float32, in h's manager; row i is the exit
     * after layer {@code layers[i]} (one entry: every row's), through that layer's exit adapter if it has one.
     */
    static NDArray head(NDArray h, int rows, Transformer model, int... layers) {
        try (Tape t = new Tape()) {
            long x = Tape.handle(h);
            long in;
            if (model.exits == null) {
                in = norm(x, model, t);
            } else if (layers.length == 1 || java.util.Arrays.stream(layers).distinct().count() == 1) {
                in = model.exits.input(x, layers[0], model, t);
            } else {
                long[] parts = new long[layers.length];
                for (int i = 0; i < layers.length; i++) {
                    parts[i] = model.exits.input(t.keep(TensorOps.slice(x, 0, i, i + 1)), layers[i], model, t);
                }
                in = t.keep(TensorOps.cat(parts, 0));
            }
            long logits = model.kernels.apply(model.weights.lmHead, in, rows, 0, t);
            return t.wrap(logits, h.getManager());
        }
    }

    /** GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); the constants are [1] tensors. */
    static long geluTanh(long x, Transformer model, Tape t) {
        long cube = t.keep(TensorOps.mul(t.keep(TensorOps.mul(x, x)), x));
        long inner = t.keep(TensorOps.mul(Tape.handle(model.geluScale),
                t.keep(TensorOps.add(x, t.keep(TensorOps.mul(Tape.handle(model.geluCubic), cube))))));
        long gate = t.keep(TensorOps.add(Tape.handle(model.one), t.keep(TensorOps.tanh(inner))));
        return t.keep(TensorOps.mul(Tape.handle(model.half), t.keep(TensorOps.mul(x, gate))));
    }
}
