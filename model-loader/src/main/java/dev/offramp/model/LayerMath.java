package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

/** The few formulas a layer step is made of, with the weights' folding (see {@link Weights}) taken into account. */
final class LayerMath {
    private LayerMath() {}

    /**
     * The norm without its affine part (folded into the next matrix): LayerNorm, or RMSNorm as one
     * {@code normalize} over the stream's constant column (see {@link Weights}), up to a factor folded away too.
     */
    static NDArray norm(NDArray x, Transformer model) {
        ModelConfig c = model.config();
        if (c.family() == ModelConfig.Family.GPT2) {
            return LayerNorm.layerNorm(x, new Shape(c.hidden()), model.normOnes, model.normZeros, c.normEps())
                    .singletonOrThrow();
        }
        return x.normalize(2, -1, Float.MIN_NORMAL);  // ||[x, c]|| >= c > 0: the eps bound never applies
    }

    /** The exit: lmHead(finalNorm(h)) for h [rows, width], [rows, vocab]. */
    static NDArray head(NDArray h, int rows, Transformer model) {
        return model.kernels.apply(model.weights.lmHead, norm(h, model), rows, null);
    }

    /** GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    static NDArray geluTanh(NDArray x) {
        NDArray inner = x.add(x.pow(3).mul(0.044715f)).mul((float) Math.sqrt(2.0 / Math.PI));
        return x.mul(inner.tanh().add(1f)).mul(0.5f);
    }
}
