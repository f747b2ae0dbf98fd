package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;

/** The few formulas a layer step is made of, with the weights' folding (see {@link Weights}) taken into account. */
final class LayerMath {
    private LayerMath() {}

    /** The norm without its affine part (folded into the next matrix): RMSNorm or LayerNorm. */
    static NDArray norm(NDArray x, Transformer model) {
        ModelConfig c = model.config();
        if (c.family() == ModelConfig.Family.GPT2) {
            return LayerNorm.layerNorm(x, new Shape(c.hidden()), model.normOnes, model.normZeros, c.normEps())
                    .singletonOrThrow();
        }
        return x.div(x.square().mean(new int[] {-1}, true).add(model.normEps).sqrt());
    }

    /** The exit: lmHead(finalNorm(h)), [n, vocab]. */
    static NDArray head(NDArray h, Transformer model) {
        return Linear.linear(norm(h, model), model.weights.lmHead, model.weights.lmHeadBias).singletonOrThrow();
    }

    /**
     * x + linear(y, w, bias). Without a bias the residual itself is passed as linear's bias: for 2-D input libtorch
     * computes addmm(x, y, w^T), one op instead of two.
     */
    static NDArray residual(NDArray x, NDArray y, NDArray w, NDArray bias) {
        if (bias == null) {
            return Linear.linear(y, w, x).singletonOrThrow();
        }
        return x.add(Linear.linear(y, w, bias).singletonOrThrow());
    }

    /** GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    static NDArray geluTanh(NDArray x) {
        NDArray inner = x.add(x.pow(3).mul(0.044715f)).mul((float) Math.sqrt(2.0 / Math.PI));
        return x.mul(inner.tanh().add(1f)).mul(0.5f);
    }
}
