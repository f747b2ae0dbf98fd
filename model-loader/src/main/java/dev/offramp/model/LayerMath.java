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

    /** The exit: lmHead(finalNorm(h)) for h [rows, width], [rows, vocab] float32, in h's manager. */
    static NDArray head(NDArray h, int rows, Transformer model) {
        try (Tape t = new Tape()) {
            long logits = model.kernels.apply(model.weights.lmHead, norm(Tape.handle(h), model, t), rows, 0, t);
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
