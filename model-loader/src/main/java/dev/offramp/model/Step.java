package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.List;

/**
 * One forward step over a batch of rows (one row per sequence, each feeding one or more tokens). The caller drives
 * the layers: {@link #runLayer} advances chosen rows through one decoder layer, {@link #exitLogits} reads the exit
 * after the layer a row has reached. Everything allocated here dies with {@link #close}; only K/V written into the
 * sequences' caches outlives the step. Results leave as Java arrays.
 */
public final class Step implements AutoCloseable {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    private final Transformer model;
    private final ModelConfig c;
    private final Weights w;
    private final NDManager manager;
    private final Row[] rows;

    private static final class Row {
        final Sequence seq;
        final int start;      // position of the first token
        final int count;      // tokens this step
        NDArray hidden;       // [count, hidden] output of the last layer run (the embedding before any)
        NDArray cos;          // [count, 1, headDim]
        NDArray sin;          // [count, 1, headDim]
        NDArray mask;         // [count, 1, start + count] causal, only when count > 1
        int layer;            // layers run so far

        Row(Sequence seq, int start, int count) {
            this.seq = seq;
            this.start = start;
            this.count = count;
        }
    }

    Step(Transformer model, NDManager manager, List<StepInput> inputs) {
        this.model = model;
        this.c = model.config();
        this.w = model.weights;
        this.manager = manager;
        this.rows = new Row[inputs.size()];
        try {
            for (StepInput in : inputs) {  // all rows checked before any sequence grows
                checkTokens(in.tokens());
            }
            for (int r = 0; r < rows.length; r++) {
                rows[r] = embed(inputs.get(r));
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private void checkTokens(int[] tokens) {
        for (int t : tokens) {
            if (t < 0 || t >= c.vocab()) {
                throw new IllegalArgumentException("token id " + t + ": expected 0.." + (c.vocab() - 1));
            }
        }
    }

    private Row embed(StepInput in) {
        int[] tokens = in.tokens();
        Row row = new Row(in.sequence(), in.sequence().append(tokens.length), tokens.length);
        NDIndex span = new NDIndex("{}:{}", row.start, row.start + row.count);
        NDArray ids = manager.create(toLong(tokens));
        row.hidden = w.embed.get(manager, new NDIndex("{}", ids));  // [count, hidden]
        if (w.positions != null) {
            row.hidden = row.hidden.add(w.positions.get(manager, span));
        }
        if (model.ropeCos != null) {
            row.cos = model.ropeCos.get(manager, span).expandDims(1);
            row.sin = model.ropeSin.get(manager, span).expandDims(1);
        }
        if (row.count > 1) {
            row.mask = causalMask(row.start, row.count);
        }
        return row;
    }

    /** Additive mask: the token at position start + t sees keys 0..start + t. */
    private NDArray causalMask(int start, int count) {
        int keys = start + count;
        float[] m = new float[count * keys];
        for (int t = 0; t < count; t++) {
            for (int s = start + t + 1; s < keys; s++) {
                m[t * keys + s] = NEG_INF;
            }
        }
        return manager.create(m, new Shape(count, 1, keys));
    }

    public int rows() {
        return rows.length;
    }

    /** Layers that row {@code r} has run in this step. */
    public int layer(int r) {
        return rows[r].layer;
    }

    /** Runs decoder layer {@code layer} (1-based) for the given rows, which must all have just run layer - 1. */
    public void runLayer(int layer, int... rowIds) {
        Row[] sel = select(rowIds);
        for (Row row : sel) {
            if (row.layer != layer - 1) {
                throw new IllegalStateException("layer " + layer + ": row at position " + row.start
                        + " has run " + row.layer + " layers, expected " + (layer - 1));
            }
        }
        Weights.Layer lw = w.layers[layer - 1];
        NDArray x = concat(sel, r -> r.hidden);                          // [N, hidden]
        NDArray[] qkv = projectQkv(x, lw, sel);                          // q [N, heads, hd], k, v [N, kvHeads, hd]
        NDArray attn = attend(layer - 1, sel, qkv[0], qkv[1], qkv[2]);  // [N, qDim]
        x = residual(x, attn, lw.o(), lw.oBias());
        NDArray up = Linear.linear(norm(x), lw.up(), lw.upBias()).singletonOrThrow();
        NDArray act;
        if (c.family() == ModelConfig.Family.LLAMA) {
            NDList gu = up.split(2, 1);                                  // gate, up: [N, intermediate] each
            act = gu.get(0).mul(gu.get(0).getNDArrayInternal().sigmoid()).mul(gu.get(1));  // silu(gate) * up
        } else {
            act = geluTanh(up);
        }
        x = residual(x, act, lw.down(), lw.downBias());
        scatter(sel, x);
        for (Row row : sel) {
            row.layer = layer;
        }
    }

    /**
     * x + linear(y, w, bias). Without a bias the residual itself is passed as linear's bias: for 2-D input libtorch
     * computes addmm(x, y, w^T), one op instead of two.
     */
    private static NDArray residual(NDArray x, NDArray y, NDArray w, NDArray bias) {
        if (bias == null) {
            return Linear.linear(y, w, x).singletonOrThrow();
        }
        return x.add(Linear.linear(y, w, bias).singletonOrThrow());
    }

    /** q, k (RoPE applied) and v for every token of the rows; K/V are not written yet. */
    private NDArray[] projectQkv(NDArray x, Weights.Layer lw, Row[] sel) {
        int n = Math.toIntExact(x.getShape().get(0));
        NDArray qkv = Linear.linear(norm(x), lw.qkv(), lw.qkvBias()).singletonOrThrow();  // [N, qDim + 2 kvDim]
        NDList parts = qkv.split(new long[] {c.qDim() + c.kvDim()}, 1);
        NDArray qk = parts.get(0).reshape(n, c.heads() + c.kvHeads(), c.headDim());
        if (model.ropeCos != null) {
            NDArray cos = concat(sel, r -> r.cos);                       // [N, 1, hd]
            NDArray sin = concat(sel, r -> r.sin);
            qk = qk.mul(cos).add(qk.matMul(model.rotateHalf).mul(sin));
        }
        NDList split = qk.split(new long[] {c.heads()}, 1);
        NDArray v = parts.get(1).reshape(n, c.kvHeads(), c.headDim());
        return new NDArray[] {split.get(0), split.get(1), v};
    }

    /**
     * CALM's state propagation: a row that exited after layer k fills the K/V of layers k+1..L for its positions
     * from its exited hidden state (each deeper layer's norm and K/V projection applied to h_k), so later tokens
     * can attend at every depth. Counts as K/V projections, not as layer evaluations.
     */
    public void propagateKv(int r) {
        Row row = rows[r];
        Row[] sel = {row};
        for (int layer = row.layer + 1; layer <= c.layers(); layer++) {
            NDArray[] qkv = projectQkv(row.hidden, w.layers[layer - 1], sel);
            row.seq.write(layer - 1, row.start, qkv[1], qkv[2]);
        }
    }

    /** Writes each row's K/V into its cache, then attends over the cache (GQA by reshape). */
    private NDArray attend(int layer, Row[] sel, NDArray q, NDArray k, NDArray v) {
        NDArray[] out = new NDArray[sel.length];
        int offset = 0;
        int group = c.heads() / c.kvHeads();
        for (int i = 0; i < sel.length; i++) {
            Row row = sel[i];
            int t = row.count;
            NDArray qr = sel.length == 1 ? q : q.get(manager, new NDIndex("{}:{}", offset, offset + t));
            NDArray kr = sel.length == 1 ? k : k.get(manager, new NDIndex("{}:{}", offset, offset + t));
            NDArray vr = sel.length == 1 ? v : v.get(manager, new NDIndex("{}:{}", offset, offset + t));
            row.seq.write(layer, row.start, kr, vr);
            int end = row.start + t;
            NDArray keys = row.seq.keys(layer, end, manager).transpose(1, 2, 0);    // [kvHeads, hd, S]
            NDArray values = row.seq.values(layer, end, manager).transpose(1, 0, 2);  // [kvHeads, S, hd]
            NDArray o;
            if (t == 1) {
                NDArray scores = qr.reshape(c.kvHeads(), group, c.headDim()).matMul(keys);  // [kvHeads, group, S]
                o = scores.softmax(-1).matMul(values).reshape(1, c.qDim());
            } else {
                NDArray qh = qr.reshape(t, c.kvHeads(), group, c.headDim()).transpose(1, 0, 2, 3)
                        .reshape(c.kvHeads(), t * group, c.headDim());
                NDArray scores = qh.matMul(keys).reshape(c.kvHeads(), t, group, end).add(row.mask)
                        .reshape(c.kvHeads(), t * group, end);
                o = scores.softmax(-1).matMul(values).reshape(c.kvHeads(), t, group, c.headDim())
                        .transpose(1, 0, 2, 3).reshape(t, c.qDim());
            }
            out[i] = o;
            offset += t;
        }
        return out.length == 1 ? out[0] : NDArrays.concat(new NDList(out), 0);
    }

    /**
     * The exit after the layer each row has reached, for the row's last token: {@code lmHead(finalNorm(h))}.
     * Returns [rows][vocab].
     */
    public float[][] exitLogits(int... rowIds) {
        Row[] sel = select(rowIds);
        NDArray last = concat(sel, r -> r.count == 1 ? r.hidden : r.hidden.get(manager, new NDIndex("-1:")));
        float[] flat = head(last).toFloatArray();
        float[][] out = new float[sel.length][];
        for (int i = 0; i < sel.length; i++) {
            out[i] = java.util.Arrays.copyOfRange(flat, i * c.vocab(), (i + 1) * c.vocab());
        }
        return out;
    }

    /** The exit for every token of row {@code r}: [count * vocab], row-major. */
    public float[] exitLogitsAll(int r) {
        return head(rows[r].hidden).toFloatArray();
    }

    /** Row {@code r}'s hidden state after its last layer, [count * hidden] row-major. */
    public float[] hidden(int r) {
        return rows[r].hidden.toFloatArray();
    }

    private NDArray head(NDArray h) {
        return Linear.linear(norm(h), w.lmHead, w.lmHeadBias).singletonOrThrow();  // [n, vocab]
    }

    /** The norm without its affine part (folded into the next matrix): RMSNorm or LayerNorm. */
    private NDArray norm(NDArray x) {
        if (c.family() == ModelConfig.Family.GPT2) {
            return LayerNorm.layerNorm(x, new Shape(c.hidden()), model.normOnes, model.normZeros, c.normEps())
                    .singletonOrThrow();
        }
        return x.div(x.square().mean(new int[] {-1}, true).add(model.normEps).sqrt());
    }

    /** GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    private static NDArray geluTanh(NDArray x) {
        NDArray inner = x.add(x.pow(3).mul(0.044715f)).mul((float) Math.sqrt(2.0 / Math.PI));
        return x.mul(inner.tanh().add(1f)).mul(0.5f);
    }

    private Row[] select(int[] rowIds) {
        if (rowIds.length == 0) {
            return rows;
        }
        Row[] sel = new Row[rowIds.length];
        for (int i = 0; i < rowIds.length; i++) {
            sel[i] = rows[rowIds[i]];
        }
        return sel;
    }

    private NDArray concat(Row[] sel, java.util.function.Function<Row, NDArray> f) {
        if (sel.length == 1) {
            return f.apply(sel[0]);
        }
        NDList list = new NDList(sel.length);
        for (Row r : sel) {
            list.add(f.apply(r));
        }
        return NDArrays.concat(list, 0);
    }

    private void scatter(Row[] sel, NDArray x) {
        if (sel.length == 1) {
            sel[0].hidden = x;
            return;
        }
        long[] cuts = new long[sel.length - 1];
        long at = 0;
        for (int i = 0; i < cuts.length; i++) {
            at += sel[i].count;
            cuts[i] = at;
        }
        NDList parts = x.split(cuts, 0);
        for (int i = 0; i < sel.length; i++) {
            sel[i].hidden = parts.get(i);
        }
    }

    private static long[] toLong(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
