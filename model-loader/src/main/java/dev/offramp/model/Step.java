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
    private Row[] rows;
    private FewTokens few;  // borrowed from the model on first use, given back at close

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

    /**
     * Takes a pending row into this running step (a deferred row joining at the layer after its own, when a token of
     * the step reaches it); returns its row index. Its arrays are this step's from now on.
     */
    public int adopt(PendingRow p) {
        rows = Arrays.copyOf(rows, rows.length + 1);
        rows[rows.length - 1] = p.adopt(manager);
        return rows.length - 1;
    }

    public int rows() {
        return rows.length;
    }

    /** Layers that row {@code r} has run (or skipped) in this step, or before it for a carried row. */
    public int layer(int r) {
        return row(r).layer;
    }

    /** Tokens in row {@code r}. */
    public int count(int r) {
        return row(r).count;
    }

    /** Position of row {@code r}'s first token. */
    public int start(int r) {
        return row(r).start;
    }

    /**
     * Runs decoder layer {@code layer} (1-based) for the given rows (all rows if none), each at layer - 1: up to
     * {@link FewTokens#MOST_TOKENS} tokens take {@link FewTokens} where the model allows it, the rest
     * {@link TensorLayers}.
     */
    public void runLayer(int layer, int... rowIds) {
        Row[] sel = select(rowIds, layer);
        if (few(sel)) {
            float[] x = concatVectors(sel);
            float[] out = few().layer(layer, sel, x);
            int width = (int) w.embedWidth();
            for (int i = 0, from = 0; i < sel.length; from += sel[i].count * width, i++) {
                Row r = sel[i];
                r.previousVector = java.util.Arrays.copyOfRange(x, from, from + r.count * width);
                r.vector = java.util.Arrays.copyOfRange(out, from, from + r.count * width);
                r.hidden = null;
                r.previous = null;
                r.layer = layer;
            }
            return;
        }
        for (Row r : sel) {
            array(r);
        }
        new TensorLayers(model, manager).layer(layer, sel, tokens(sel));
    }

    /** Passes the rows over layer {@code layer} unchanged (layer skipping): nothing is computed or cached for it. */
    public void skipLayer(int layer, int... rowIds) {
        for (Row row : select(rowIds, layer)) {
            row.layer = layer;
        }
    }

    /**
     * CALM's state propagation: a row that exited after layer k fills the K/V of layers k+1..L for its positions
     * from its exited hidden state (each deeper layer's norm and K/V projection applied to h_k), so later tokens
     * can attend at every depth. Counts as K/V projections, not as layer evaluations.
     */
    public void propagateKv(int r) {
        Row row = row(r);
        if (few(new Row[] {row})) {
            float[] x = vector(row);
            for (int layer = row.layer + 1; layer <= c.layers(); layer++) {
                few().propagate(layer, row, x);
            }
            return;
        }
        array(row);
        TensorLayers tensors = new TensorLayers(model, manager);
        for (int layer = row.layer + 1; layer <= c.layers(); layer++) {
            tensors.propagate(layer, row);
        }
    }

    /** The exit after the layer each row has reached, for the row's last token: [rows][vocab]. */
    public float[][] exitLogits(int... rowIds) {
        Row[] sel = rowIds.length == 0 ? rows : Arrays.stream(rowIds).mapToObj(this::row).toArray(Row[]::new);
        if (model.fewTokenPath && FewTokens.fits(sel.length)) {
            int width = (int) w.embedWidth();
            float[] last = new float[sel.length * width];
            for (int i = 0; i < sel.length; i++) {
                float[] v = vector(sel[i]);
                System.arraycopy(v, v.length - width, last, i * width, width);
            }
            ExitAdapter[] adapters = new ExitAdapter[sel.length];
            for (int i = 0; i < sel.length; i++) {
                adapters[i] = model.adapter(sel[i].layer);
            }
            float[] flat = few().logits(last, adapters);
            float[][] out = new float[sel.length][];
            for (int i = 0; i < sel.length; i++) {
                out[i] = Arrays.copyOfRange(flat, i * c.vocab(), (i + 1) * c.vocab());
            }
            return out;
        }
        NDArray last = concat(sel, r -> r.count == 1 ? array(r) : array(r).get(manager, new NDIndex("-1:")));
        int[] layers = Arrays.stream(sel).mapToInt(r -> r.layer).toArray();
        float[] flat = LayerMath.head(last, sel.length, model, layers).toFloatArray();
        float[][] out = new float[sel.length][];
        for (int i = 0; i < sel.length; i++) {
            out[i] = Arrays.copyOfRange(flat, i * c.vocab(), (i + 1) * c.vocab());
        }
        return out;
    }

    /** The exit for every token of row {@code r}: [count * vocab], row-major. */
    public float[] exitLogitsAll(int r) {
        Row row = row(r);
        if (few(new Row[] {row})) {
            ExitAdapter[] adapters = new ExitAdapter[row.count];
            Arrays.fill(adapters, model.adapter(row.layer));
            return few().logits(vector(row), adapters);
        }
        return LayerMath.head(array(row), row.count, model, row.layer).toFloatArray();
    }

    /**
     * Restricts row {@code r}'s {@link #prunedLogits} to these token ids (dynamic vocabulary pruning): the LM head's
     * rows for them are gathered once, so each later check costs a few rows instead of the whole vocabulary.
     */
    public void pruneVocab(int r, int[] ids) {
        Row row = row(r);
        row.vocab = ids.clone();
        row.headKernel = model.kernels.plan.kernel(Product.HEAD, Bucket.ONE);
        row.head = w.lmHead.rows(row.headKernel, row.vocab, manager);  // [k, width] in the head's one-row form
    }

    /** The exit's logits for row {@code r}'s last token over its pruned vocabulary, in {@link #pruneVocab}'s order. */
    public float[] prunedLogits(int r) {
        Row row = row(r);
        if (row.vocab == null) {
            throw new IllegalStateException("prunedLogits: row " + r + " has no pruned vocabulary");
        }
        if (model.fewTokenPath) {
            float[] v = vector(row);
            int width = (int) w.embedWidth();
            return few().logits(row.head, row.headKernel, Arrays.copyOfRange(v, v.length - width, v.length),
                    new ExitAdapter[] {model.adapter(row.layer)});
        }
        NDArray last = row.count == 1 ? array(row) : array(row).get(manager, new NDIndex("-1:"));
        try (Tape t = new Tape()) {
            long in = model.exits == null ? LayerMath.norm(Tape.handle(last), model, t)
                    : model.exits.input(Tape.handle(last), row.layer, model, t);
            long logits = model.kernels.apply(row.head, row.headKernel, in, 0, false, t);
            return t.wrap(logits, manager).toFloatArray();
        }
    }

    /** Row {@code r}'s hidden state after its last layer, [count * hidden] row-major. */
    public float[] hidden(int r) {
        float[] stream = vector(row(r));  // [count * width]
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
        if (row.previous == null && row.previousVector == null) {
            throw new IllegalStateException("cosine: row at position " + row.start + " has run no layer yet");
        }
        float[] h = vector(row);
        float[] p = row.previousVector != null ? row.previousVector : row.previous.toFloatArray();
        int off = (row.count - 1) * (int) w.embedWidth();  // the constant column, if any, lies past c.hidden()
        return dev.offramp.model.engine.SignalMath.cosine(h, p, off, c.hidden());
    }

    /** Takes row {@code r} out of this step, arrays and all, to be carried into a later step. */
    public PendingRow detach(int r) {
        Row row = row(r);
        array(row);        // a pending row carries NDArrays
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

    /** Whether {@link FewTokens} runs these rows. */
    private boolean few(Row[] sel) {
        return model.fewTokenPath && FewTokens.fits(tokens(sel));
    }

    private FewTokens few() {
        if (few == null) {
            few = model.borrowFewTokens();
        }
        return few;
    }

    /** The row's hidden state in Java [count * width]: FewTokens' own, or a copy of the array. */
    private static float[] vector(Row r) {
        return r.vector != null ? r.vector : r.hidden.toFloatArray();
    }

    private static float[] concatVectors(Row[] sel) {
        if (sel.length == 1) {
            return vector(sel[0]);
        }
        float[][] parts = new float[sel.length][];
        int n = 0;
        for (int i = 0; i < sel.length; i++) {
            parts[i] = vector(sel[i]);
            n += parts[i].length;
        }
        float[] out = new float[n];
        for (int i = 0, at = 0; i < sel.length; at += parts[i].length, i++) {
            System.arraycopy(parts[i], 0, out, at, parts[i].length);
        }
        return out;
    }

    /** The row's hidden state as an array of this step, made from FewTokens' vectors if they are current. */
    private NDArray array(Row r) {
        if (r.vector != null) {
            ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(r.count, w.embedWidth());
            r.hidden = manager.create(r.vector, shape);
            r.previous = r.previousVector == null ? null : manager.create(r.previousVector, shape);
            r.vector = null;
            r.previousVector = null;
        }
        return r.hidden;
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

    @Override
    public void close() {
        if (few != null) {
            model.giveBack(few);
            few = null;
        }
        manager.close();
    }
}
