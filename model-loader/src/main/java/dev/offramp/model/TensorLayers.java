package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.TensorOps;
import java.util.function.Function;

/**
 * The tensor path of a layer step, for the steps {@link FewTokens} does not take (more tokens, GPU, GPT-2, models
 * with biases): every op is libtorch's on raw tensor handles recorded on a {@link Tape} and deleted when the layer
 * ends; the rows' new hidden states join the step's manager. The rows' hidden states are arrays here ({@code
 * Row.hidden}): the step makes them so before it calls in.
 */
final class TensorLayers {
    private final Transformer model;
    private final ModelConfig c;
    private final NDManager step;

    TensorLayers(Transformer model, NDManager step) {
        this.model = model;
        this.c = model.config();
        this.step = step;
    }

    /** Decoder layer {@code layer} (1-based) for the rows, n tokens in all. */
    void layer(int layer, Row[] sel, int n) {
        Weights.Layer lw = model.weights.layers[layer - 1];
        Kernels k = model.kernels;
        try (Tape t = new Tape()) {
            long x = concat(sel, r -> r.hidden, t);                      // [N, width]
            long[] qkv = projectQkv(x, n, lw, sel, t);                   // q [N, heads, hd], k, v [N, kvHeads, hd]
            long attn = Attention.attend(c, t, step, layer - 1, sel, n, qkv[0], qkv[1], qkv[2]);  // [N, qDim]
            x = k.apply(lw.o(), attn, n, x, t);                          // x + o(attn)
            long up = k.apply(lw.up(), LayerMath.norm(x, model, t), n, 0, t);
            long act;
            if (c.family() == ModelConfig.Family.LLAMA) {
                long[] gu = t.keepAll(TensorOps.split(up, new long[] {c.intermediate(), c.intermediate()}, 1));
                long silu = t.keep(TensorOps.mul(gu[0], t.keep(TensorOps.sigmoid(gu[0]))));
                act = t.keep(TensorOps.mul(silu, gu[1]));                // silu(gate) * up
            } else {
                act = LayerMath.geluTanh(up, model, t);
            }
            x = k.apply(lw.down(), act, n, x, t);                        // x + down(act)
            long[] parts = sel.length == 1 ? new long[] {x} : TensorOps.split(x, counts(sel), 0);
            for (int i = 0; i < sel.length; i++) {
                sel[i].previous = sel[i].hidden;
                sel[i].hidden = t.wrap(parts[i], step);
                sel[i].layer = layer;
            }
        }
    }

    /** CALM's propagation for one row: layer {@code layer}'s K/V of its positions from its hidden state. */
    void propagate(int layer, Row row) {
        try (Tape t = new Tape()) {
            long[] qkv = projectQkv(Tape.handle(row.hidden), row.count, model.weights.layers[layer - 1],
                    new Row[] {row}, t);
            row.seq.write(layer - 1, row.start, row.count, qkv[1], qkv[2]);
        }
    }

    /** q, k (RoPE applied) and v for every token of the rows; K/V are not written yet. */
    private long[] projectQkv(long x, int n, Weights.Layer lw, Row[] sel, Tape t) {
        Kernel kernel = model.kernels.kernel(lw.qkv(), n);
        boolean rope = model.ropeCos != null;
        // with RoPE a float16 q|k|v stays float16: RoPE's multiplies promote q, k to float32, and v is converted
        // as it is written into the float32 cache (the same values as converting first, one op fewer)
        long qkv = model.kernels.apply(lw.qkv(), kernel, LayerMath.norm(x, model, t), 0, rope, t);
        long[] parts = t.keepAll(TensorOps.split(qkv, new long[] {c.qDim() + c.kvDim(), c.kvDim()}, 1));  // q|k, v
        long qk = t.keep(TensorOps.reshape(parts[0], n, c.heads() + c.kvHeads(), c.headDim()));
        if (rope) {
            long cos = concat(sel, r -> r.cos, t);                       // [N, 1, hd]
            long sin = concat(sel, r -> r.sin, t);
            long rotate = Tape.handle(lw.qkv().float16Output(kernel) ? model.rotateHalf16 : model.rotateHalf);
            long rotated = t.keep(TensorOps.mul(t.keep(TensorOps.matmul(qk, rotate)), sin));
            qk = t.keep(TensorOps.add(t.keep(TensorOps.mul(qk, cos)), rotated));  // float32
        }
        long[] split = t.keepAll(TensorOps.split(qk, new long[] {c.heads(), c.kvHeads()}, 1));
        long v = t.keep(TensorOps.reshape(parts[1], n, c.kvHeads(), c.headDim()));
        return new long[] {split[0], split[1], v};
    }

    /** The rows' arrays end to end along dim 0, as a handle (the row's own when there is one row). */
    private static long concat(Row[] sel, Function<Row, NDArray> f, Tape t) {
        if (sel.length == 1) {
            return Tape.handle(f.apply(sel[0]));
        }
        long[] hs = new long[sel.length];
        for (int i = 0; i < sel.length; i++) {
            hs[i] = Tape.handle(f.apply(sel[i]));
        }
        return t.keep(TensorOps.cat(hs, 0));
    }

    private static long[] counts(Row[] sel) {
        long[] out = new long[sel.length];
        for (int i = 0; i < sel.length; i++) {
            out[i] = sel[i].count;
        }
        return out;
    }
}
