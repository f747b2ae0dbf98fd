package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.offramp.model.io.HostTensor;
import dev.offramp.model.io.TensorSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A checkpoint rearranged into the fused layer recipe (ARCHITECTURE.md, "The engine's words"): norm gains (and
 * LayerNorm biases) folded into the matrices that follow them, the attention scale folded into q, q|k|v in one matrix and gate|up in another.
 * Each matrix is a {@link Matrix}, held in the forms the kernel plan uses. Package-private: NDArrays stay in here.
 *
 * <p>RMSNorm in one op: the residual stream of a LLAMA-family model carries one extra column, the constant
 * c = sqrt(hidden * eps) (the embeddings hold it; the matrices that write the stream have a zero row for it, those
 * that read it a zero column). Then {@code normalize(x)} = x / ||[x, c]|| = x / (sqrt(hidden) * sqrt(mean(x^2) +
 * eps)), RMSNorm up to the factor sqrt(hidden), which is folded into the reading matrices with the norm gains.
 */
final class Weights {
    /**
     * One decoder layer. Biases are null where the architecture has none.
     *
     * @param qkv [qDim + 2 kvDim, hidden], input norm folded in, q rows scaled by 1/sqrt(headDim)
     * @param up  [2 intermediate, hidden] gate|up (LLAMA) or [intermediate, hidden] c_fc (GPT2), norm folded in
     */
    record Layer(Matrix qkv, Matrix o, Matrix up, Matrix down) {}

    final NDArray embed;       // [vocab, width]
    final NDArray positions;   // [context, hidden] learned positions (GPT2), else null
    final Layer[] layers;
    final Matrix lmHead;       // [vocab, width], final norm gain folded in; LayerNorm's bias as its bias
    final boolean rmsColumn;   // the residual stream carries the RMSNorm constant column (LLAMA family)

    private final ModelConfig c;
    private final TensorSource src;
    private final NDManager m;
    private final String prefix;

    /** Builds every weight in {@code manager}; intermediates of the folding are freed before returning. */
    Weights(ModelConfig config, TensorSource source, NDManager manager) {
        this.c = config;
        this.src = source;
        this.m = manager;
        boolean gpt2 = config.family() == ModelConfig.Family.GPT2;
        this.prefix = gpt2 && source.names().contains("transformer.wte.weight") ? "transformer." : "";
        this.rmsColumn = !gpt2;
        try (NDManager scratch = manager.newSubManager()) {
            NDArray e = read(gpt2 ? "wte.weight" : "model.embed_tokens.weight", scratch, c.vocab(), c.hidden());
            embed = keep(rmsColumn ? NDArrays.concat(new NDList(e,
                    scratch.full(new Shape(c.vocab(), 1), (float) Math.sqrt(c.hidden() * (double) c.normEps()))), 1)
                    : e);
            positions = gpt2 ? keep(read("wpe.weight", scratch, c.contextLength(), c.hidden())) : null;
            layers = new Layer[c.layers()];
            for (int i = 0; i < c.layers(); i++) {
                layers[i] = gpt2 ? gpt2Layer(i, scratch) : llamaLayer(i, scratch);
            }
            String head = c.tiedHead() ? (gpt2 ? "wte.weight" : "model.embed_tokens.weight") : "lm_head.weight";
            NDArray lm = read(head, scratch, c.vocab(), c.hidden());
            if (gpt2) {
                NDArray[] folded = foldLayerNorm(lm, null, "ln_f", scratch);
                lmHead = matrix(Product.HEAD, folded[0], folded[1]);
            } else {
                lmHead = matrix(Product.HEAD, reading(foldRms(lm, "model.norm.weight", scratch), scratch), null);
            }
        }
    }

    /** Width of the residual stream: hidden, plus the RMSNorm constant column where there is one. */
    long embedWidth() {
        return rmsColumn ? c.hidden() + 1L : c.hidden();
    }

    /** Every matrix in a token's order: each layer's q|k|v, o, gate|up, down, then the LM head. */
    List<Matrix> matrices() {
        List<Matrix> out = new ArrayList<>(layers.length * 4 + 1);
        for (Layer l : layers) {
            out.addAll(List.of(l.qkv(), l.o(), l.up(), l.down()));
        }
        out.add(lmHead);
        return out;
    }

    private Matrix matrix(Product p, NDArray w, NDArray bias) {
        return new Matrix(p, keep(w), keep(bias), m);
    }

    /** A matrix that reads the stream: sqrt(hidden) folded in (see the class comment), a zero column for c. */
    private NDArray reading(NDArray w, NDManager s) {
        if (!rmsColumn) {
            return w;
        }
        return NDArrays.concat(new NDList(w.mul((float) Math.sqrt(c.hidden())),
                s.zeros(new Shape(w.getShape().get(0), 1))), 1);
    }

    /** A matrix that writes the stream: a zero row, so that the residual add keeps c. */
    private NDArray writing(NDArray w, NDManager s) {
        if (!rmsColumn) {
            return w;
        }
        return NDArrays.concat(new NDList(w, s.zeros(new Shape(1, w.getShape().get(1)))), 0);
    }

    private NDArray writingBias(NDArray b, NDManager s) {
        return b == null || !rmsColumn ? b : NDArrays.concat(new NDList(b, s.zeros(new Shape(1))), 0);
    }

    private Layer llamaLayer(int i, NDManager s) {
        String p = "model.layers." + i + ".";
        int hd = c.headDim();
        NDArray q = read(p + "self_attn.q_proj.weight", s, c.qDim(), c.hidden());
        NDArray k = read(p + "self_attn.k_proj.weight", s, c.kvDim(), c.hidden());
        NDArray v = read(p + "self_attn.v_proj.weight", s, c.kvDim(), c.hidden());
        if (c.ropeAdjacentPairs()) {
            // llama2.c rotates pairs (2j, 2j+1); reorder each head's rows to (j, j + hd/2) so that the
            // Hugging Face rotate-half RoPE computes the same attention scores.
            q = q.reshape(c.heads(), hd / 2, 2, c.hidden()).transpose(0, 2, 1, 3).reshape(c.qDim(), c.hidden());
            k = k.reshape(c.kvHeads(), hd / 2, 2, c.hidden()).transpose(0, 2, 1, 3).reshape(c.kvDim(), c.hidden());
        }
        float scale = (float) (1.0 / Math.sqrt(hd));
        NDArray qkv = NDArrays.concat(new NDList(q.mul(scale), k, v), 0);
        NDArray qkvBias = null;
        if (c.qkvBias()) {
            NDArray qb = read(p + "self_attn.q_proj.bias", s, c.qDim()).mul(scale);
            qkvBias = NDArrays.concat(new NDList(qb, read(p + "self_attn.k_proj.bias", s, c.kvDim()),
                    read(p + "self_attn.v_proj.bias", s, c.kvDim())), 0);
        }
        NDArray o = read(p + "self_attn.o_proj.weight", s, c.hidden(), c.qDim());
        String oBiasName = prefix + p + "self_attn.o_proj.bias";
        NDArray oBias = src.names().contains(oBiasName) ? read(p + "self_attn.o_proj.bias", s, c.hidden()) : null;
        NDArray gateUp = NDArrays.concat(new NDList(
                read(p + "mlp.gate_proj.weight", s, c.intermediate(), c.hidden()),
                read(p + "mlp.up_proj.weight", s, c.intermediate(), c.hidden())), 0);
        return new Layer(
                matrix(Product.QKV, reading(foldRms(qkv, p + "input_layernorm.weight", s), s), qkvBias),
                matrix(Product.O, writing(o, s), writingBias(oBias, s)),
                matrix(Product.UP, reading(foldRms(gateUp, p + "post_attention_layernorm.weight", s), s), null),
                matrix(Product.DOWN, writing(read(p + "mlp.down_proj.weight", s, c.hidden(), c.intermediate()), s),
                        null));
    }

    private Layer gpt2Layer(int i, NDManager s) {
        String p = "h." + i + ".";
        int h = c.hidden();
        float scale = (float) (1.0 / Math.sqrt(c.headDim()));
        // Conv1D stores [in, out]; linear wants [out, in]. A transposed view does not keep the mapped file alive,
        // so views that outlive the scratch manager are duplicated into memory of their own.
        NDArray qkv = read(p + "attn.c_attn.weight", s, h, 3L * h).transpose();
        NDArray qkvBias = read(p + "attn.c_attn.bias", s, 3L * h);
        NDArray rowScale = NDArrays.concat(new NDList(s.full(new Shape(h), scale), s.ones(new Shape(2L * h))), 0);
        NDArray[] attn = foldLayerNorm(qkv.mul(rowScale.reshape(-1, 1)), qkvBias.mul(rowScale), p + "ln_1", s);
        NDArray[] fc = foldLayerNorm(read(p + "mlp.c_fc.weight", s, h, c.intermediate()).transpose(),
                read(p + "mlp.c_fc.bias", s, c.intermediate()), p + "ln_2", s);
        return new Layer(matrix(Product.QKV, attn[0], attn[1]),
                matrix(Product.O, read(p + "attn.c_proj.weight", s, h, h).transpose().duplicate(),
                        read(p + "attn.c_proj.bias", s, h)),
                matrix(Product.UP, fc[0], fc[1]),
                matrix(Product.DOWN, read(p + "mlp.c_proj.weight", s, c.intermediate(), h).transpose().duplicate(),
                        read(p + "mlp.c_proj.bias", s, h)));
    }

    /** linear(x * g, W) == linear(x, W * g): the RMSNorm gain moves into the matrix. */
    private NDArray foldRms(NDArray w, String gainName, NDManager s) {
        return w.mul(read(gainName, s, c.hidden()).reshape(1, -1));
    }

    /** linear(xhat * g + b, W, bias) == linear(xhat, W * g, W b + bias): LayerNorm's affine part moves out. */
    private NDArray[] foldLayerNorm(NDArray w, NDArray bias, String norm, NDManager s) {
        NDArray g = read(norm + ".weight", s, c.hidden());
        NDArray b = read(norm + ".bias", s, c.hidden());
        NDArray wb = w.matMul(b.reshape(-1, 1)).reshape(-1);
        return new NDArray[] {w.mul(g.reshape(1, -1)), bias == null ? wb : wb.add(bias)};
    }

    /** Reads a tensor into {@code s}, checking its shape; mapped F32 data is wrapped without a copy. */
    private NDArray read(String name, NDManager s, long... expected) {
        HostTensor t = src.tensor(prefix + name);
        if (!Arrays.equals(t.shape(), expected)) {
            throw new ModelLoadException("tensor " + prefix + name + ": expected shape " + Arrays.toString(expected)
                    + ", found " + Arrays.toString(t.shape()));
        }
        return s.create(t.data(), new Shape(expected), DataType.FLOAT32);
    }

    /** Moves a result out of the scratch manager into the model's. */
    private NDArray keep(NDArray a) {
        if (a == null) {
            return null;
        }
        a.attach(m);
        return a;
    }
}
