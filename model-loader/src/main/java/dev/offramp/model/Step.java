package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * One forward step over a batch of rows: rows carried over from earlier steps (pending deeper layers) first, then
 * one row per new input. The caller drives the layers: {@link #runLayer} advances chosen rows through one decoder
 * layer, {@link #exitLogits} reads the exit after the layer a row has reached. Everything allocated here dies with
 * {@link #close}, except K/V written into the sequences' caches and rows {@link #detach}ed for a later step.
 */
public final class Step implements AutoCloseable {
    private final Transformer model;
    private final ModelConfig c;
    private final Weights w;
    private final NDManager manager;
    private final Row[] rows;

    Step(Transformer model, NDManager manager, List<PendingRow> carried, List<StepInput> inputs) {
        this.model = model;
        this.c = model.config();
        this.w = model.weights;
        this.manager = manager;
        this.rows = new Row[carried.size() + inputs.size()];
        model.kernels.enterThread();
        try {
            for (StepInput in : inputs) {  // all rows checked before any sequence grows
                checkTokens(in.tokens());
            }
            for (int r = 0; r < carried.size(); r++) {
                rows[r] = carried.get(r).adopt(manager);
            }
            for (int i = 0; i < inputs.size(); i++) {
                rows[carried.size() + i] = embed(inputs.get(i));
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
        NDIndex span = new NDIndex().addSliceDim(row.start, row.start + row.count);
        if (tokens.length == 1) {  // decode: a slice is a view, an index gather a copy (~15x dearer here)
            row.hidden = w.embed.get(manager, new NDIndex().addSliceDim(tokens[0], tokens[0] + 1));  // [1, width]
        } else {
            NDArray ids = manager.create(Arrays.stream(tokens).asLongStream().toArray());
            row.hidden = w.embed.get(manager, new NDIndex("{}", ids));  // [count, width]
        }
        if (w.positions != null) {
            row.hidden = row.hidden.add(w.positions.get(manager, span));
        }
        if (model.ropeCos != null) {
            row.cos = model.ropeCos.get(manager, span).expandDims(1);
            row.sin = model.ropeSin.get(manager, span).expandDims(1);
        }
        if (row.count > 1) {
            row.mask = Row.causalMask(manager, row.start, row.count);
        }
        return row;
    }

    public int rows() {
        return rows.length;
    }

    /** Layers that row {@code r} has run (or skipped) in this step, or before it for a carried row. */
    public int layer(int r) {
        return row(r).layer;
    }

    /** Position of row {@code r}'s first token. */
    public int start(int r) {
        return row(r).start;
    }

    /** Runs decoder layer {@code layer} (1-based) for the given rows (all rows if none), each at layer - 1. */
    public void runLayer(int layer, int... rowIds) {
        Row[] sel = select(rowIds, layer);
        Weights.Layer lw = w.layers[layer - 1];
        Kernels k = model.kernels;
        int n = tokens(sel);
        NDArray x = concat(sel, r -> r.hidden);                          // [N, width]
        NDArray[] qkv = projectQkv(x, n, lw, sel);                       // q [N, heads, hd], k, v [N, kvHeads, hd]
        NDArray attn = Attention.attend(c, manager, layer - 1, sel, n, qkv[0], qkv[1], qkv[2]);  // [N, qDim]
        x = k.apply(lw.o(), attn, n, x);                                 // x + o(attn)
        NDArray up = k.apply(lw.up(), LayerMath.norm(x, model), n, null);
        NDArray act;
        if (c.family() == ModelConfig.Family.LLAMA) {
            NDList gu = up.split(2, 1);                                  // gate, up: [N, intermediate] each
            act = gu.get(0).mul(gu.get(0).getNDArrayInternal().sigmoid()).mul(gu.get(1));  // silu(gate) * up
        } else {
            act = LayerMath.geluTanh(up);
        }
        x = k.apply(lw.down(), act, n, x);                               // x + down(act)
        NDList parts = split(sel, x);
        for (int i = 0; i < sel.length; i++) {
            sel[i].previous = sel[i].hidden;
            sel[i].hidden = parts.get(i);
            sel[i].layer = layer;
        }
    }

    /** Passes the rows over layer {@code layer} unchanged (layer skipping): nothing is computed or cached for it. */
    public void skipLayer(int layer, int... rowIds) {
        for (Row row : select(rowIds, layer)) {
            row.layer = layer;
        }
    }

    /** q, k (RoPE applied) and v for every token of the rows; K/V are not written yet. */
    private NDArray[] projectQkv(NDArray x, int n, Weights.Layer lw, Row[] sel) {
        Kernel kernel = model.kernels.kernel(lw.qkv(), n);
        boolean rope = model.ropeCos != null;
        // with RoPE a float16 q|k|v stays float16: RoPE's multiplies promote q, k to float32, and v is converted
        // as it is written into the float32 cache (the same values as converting first, one op fewer)
        NDArray qkv = model.kernels.apply(lw.qkv(), kernel, LayerMath.norm(x, model), null, rope);
        NDList parts = qkv.split(new long[] {c.qDim() + c.kvDim()}, 1);  // q|k, v
        NDArray qk = parts.get(0).reshape(n, c.heads() + c.kvHeads(), c.headDim());
        if (rope) {
            NDArray cos = concat(sel, r -> r.cos);                       // [N, 1, hd]
            NDArray sin = concat(sel, r -> r.sin);
            NDArray rotate = lw.qkv().float16Output(kernel) ? model.rotateHalf16 : model.rotateHalf;
            qk = qk.mul(cos).add(qk.matMul(rotate).mul(sin));            // float32
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
        Row row = row(r);
        for (int layer = row.layer + 1; layer <= c.layers(); layer++) {
            NDArray[] qkv = projectQkv(row.hidden, row.count, w.layers[layer - 1], new Row[] {row});
            row.seq.write(layer - 1, row.start, row.count, qkv[1], qkv[2]);
        }
    }

    /** The exit after the layer each row has reached, for the row's last token: [rows][vocab]. */
    public float[][] exitLogits(int... rowIds) {
        Row[] sel = rowIds.length == 0 ? rows : Arrays.stream(rowIds).mapToObj(this::row).toArray(Row[]::new);
        NDArray last = concat(sel, r -> r.count == 1 ? r.hidden : r.hidden.get(manager, new NDIndex("-1:")));
        float[] flat = LayerMath.head(last, sel.length, model).toFloatArray();
        float[][] out = new float[sel.length][];
        for (int i = 0; i < sel.length; i++) {
            out[i] = Arrays.copyOfRange(flat, i * c.vocab(), (i + 1) * c.vocab());
        }
        return out;
    }

    /** The exit for every token of row {@code r}: [count * vocab], row-major. */
    public float[] exitLogitsAll(int r) {
        Row row = row(r);
        return LayerMath.head(row.hidden, row.count, model).toFloatArray();
    }

    /**
     * Restricts row {@code r}'s {@link #prunedLogits} to these token ids (dynamic vocabulary pruning): the LM head's
     * rows for them are gathered once, so each later check costs a few rows instead of the whole vocabulary.
     */
    public void pruneVocab(int r, int[] ids) {
        Row row = row(r);
        NDArray idx = manager.create(Arrays.stream(ids).asLongStream().toArray());
        row.vocab = ids.clone();
        row.headKernel = model.kernels.plan.kernel(Product.HEAD, Bucket.ONE);
        row.head = w.lmHead.rows(row.headKernel, idx, manager);  // [k, width] in the head's one-row form
    }

    /** The exit's logits for row {@code r}'s last token over its pruned vocabulary, in {@link #pruneVocab}'s order. */
    public float[] prunedLogits(int r) {
        Row row = row(r);
        if (row.vocab == null) {
            throw new IllegalStateException("prunedLogits: row " + r + " has no pruned vocabulary");
        }
        NDArray last = row.count == 1 ? row.hidden : row.hidden.get(manager, new NDIndex("-1:"));
        return model.kernels.apply(row.head, row.headKernel, LayerMath.norm(last, model), null, false).toFloatArray();
    }

    /** Row {@code r}'s hidden state after its last layer, [count * hidden] row-major. */
    public float[] hidden(int r) {
        float[] stream = row(r).hidden.toFloatArray();  // [count * width]
        return w.rmsColumn ? dropColumn(stream, c.hidden()) : stream;
    }

    /** [n * (h + 1)] → [n * h]: the stream without the RMSNorm constant column. */
    private static float[] dropColumn(float[] stream, int h) {
        int n = stream.length / (h + 1);
        float[] out = new float[n * h];
        for (int i = 0; i < n; i++) {
            System.arraycopy(stream, i * (h + 1), out, i * h, h);
        }
        return out;
    }

    /** cos(h_l, h_{l-1}) for row {@code r}'s last token, over the last layer it ran (CALM's saturation). */
    public float cosine(int r) {
        Row row = row(r);
        if (row.previous == null) {
            throw new IllegalStateException("cosine: row at position " + row.start + " has run no layer yet");
        }
        float[] h = row.hidden.toFloatArray();
        float[] p = row.previous.toFloatArray();
        int off = (row.count - 1) * (int) w.embedWidth();  // the constant column, if any, lies past c.hidden()
        double dot = 0;
        double nh = 0;
        double np = 0;
        for (int i = off; i < off + c.hidden(); i++) {
            dot += (double) h[i] * p[i];
            nh += (double) h[i] * h[i];
            np += (double) p[i] * p[i];
        }
        return (float) (dot / Math.sqrt(nh * np));
    }

    /** Takes row {@code r} out of this step, arrays and all, to be carried into a later step. */
    public PendingRow detach(int r) {
        Row row = row(r);
        row.vocab = null;  // a pruned head belongs to one token's checks, not to its deeper layers
        row.head = null;
        row.headKernel = null;
        PendingRow p = new PendingRow(model.newRowManager(), row);
        rows[r] = null;
        return p;
    }

    private Row row(int r) {
        Row row = rows[r];
        if (row == null) {
            throw new IllegalStateException("row " + r + " was detached from this step");
        }
        return row;
    }

    private Row[] select(int[] rowIds, int layer) {
        Row[] sel = rowIds.length == 0 ? rows.clone() : new Row[rowIds.length];
        for (int i = 0; i < sel.length; i++) {
            sel[i] = rowIds.length == 0 ? row(i) : row(rowIds[i]);
            if (sel[i].layer != layer - 1) {
                throw new IllegalStateException("layer " + layer + ": row at position " + sel[i].start
                        + " has run " + sel[i].layer + " layers, expected " + (layer - 1));
            }
        }
        return sel;
    }

    private static int tokens(Row[] sel) {
        int n = 0;
        for (Row r : sel) {
            n += r.count;
        }
        return n;
    }

    private static NDArray concat(Row[] sel, Function<Row, NDArray> f) {
        if (sel.length == 1) {
            return f.apply(sel[0]);
        }
        NDList list = new NDList(sel.length);
        for (Row r : sel) {
            list.add(f.apply(r));
        }
        return NDArrays.concat(list, 0);
    }

    private static NDList split(Row[] sel, NDArray x) {
        if (sel.length == 1) {
            return new NDList(x);
        }
        long[] cuts = new long[sel.length - 1];
        long at = 0;
        for (int i = 0; i < cuts.length; i++) {
            at += sel[i].count;
            cuts[i] = at;
        }
        return x.split(cuts, 0);
    }

    @Override
    public void close() {
        manager.close();
    }
}
