package dev.offramp.model;

import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.TensorOps;
import dev.offramp.model.io.Half;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * A layer step, K/V propagation and exits for a few tokens (decode rows, a verification, a short prompt: at most
 * {@link #MOST_TOKENS}) with the elementwise work in Java: RMSNorm, RoPE, SwiGLU and the residual adds touch a few
 * hundred floats per token, far less than the libtorch op each would be (about 1 µs alone and 3–5 µs inside a step,
 * measured; the tensor path makes ~37 per layer and ~14 more per sequence for attention). libtorch keeps what it is
 * fast at: the matrix products over all the tokens at once, with the kernel plan's kernel for that many rows, and
 * attention's two batched products per token (over the positions before it: causal by construction). Inputs are
 * written into tensors over this object's direct memory, outputs read from the result tensor's own memory, and K/V
 * written straight into the sequences' caches. CPU and the LLAMA family without biases only
 * ({@link Transformer#fewTokenPath}); every other step takes {@link Step}'s tensor path.
 *
 * <p>Hidden states are row-major {@code [tokens * width]} float arrays, tokens in the order of the rows given.
 */
final class FewTokens implements AutoCloseable {
    /** Above this many tokens a step's batched, masked attention per sequence costs less than one per token. */
    static final int MOST_TOKENS = 16;
    private static final int F32 = DataType.FLOAT32.ordinal();

    private final Transformer model;
    private final ModelConfig c;
    private final int width;
    private final int[] device;
    private final ByteBuffer in;           // a product's input, float16 or float32, [tokens, length]
    private final FloatBuffer inFloats;
    private final ShortBuffer inHalves;
    private long[] inTensors = new long[8];  // views of `in`, made on first use per key
    private int[] inKeys = new int[8];       // (tokens * 2^16 + length) * 2 + precision
    private int inCount;
    private final ByteBuffer q;            // attention's q for one token, [kvHeads, group, headDim] float32
    private final long qTensor;
    private float[] scores = new float[0];  // attention's scores for one head, grown to the context

    FewTokens(Transformer model) {
        this.model = model;
        this.c = model.config();
        this.width = (int) model.weights.embedWidth();
        ai.djl.Device d = model.manager().getDevice();
        this.device = new int[] {ai.djl.pytorch.engine.PtDeviceType.toDeviceType(d), d.getDeviceId()};
        int widest = Math.max(width, Math.max(c.qDim(), c.intermediate()));
        this.in = ByteBuffer.allocateDirect(MOST_TOKENS * widest * Float.BYTES).order(ByteOrder.nativeOrder());
        this.inFloats = in.asFloatBuffer();
        this.inHalves = in.asShortBuffer();
        this.q = ByteBuffer.allocateDirect(c.qDim() * Float.BYTES).order(ByteOrder.nativeOrder());
        this.qTensor = TensorOps.fromBuffer(q, new long[] {c.kvHeads(), c.heads() / c.kvHeads(), c.headDim()}, F32,
                device);
    }

    /** Whether a step of rows of these token counts goes this way. */
    static boolean fits(int tokens) {
        return tokens <= MOST_TOKENS;
    }

    /** Decoder layer {@code layer} (1-based) for the rows' tokens: x [tokens * width] → the new x. */
    float[] layer(int layer, Row[] rows, float[] x) {
        Weights.Layer lw = model.weights.layers[layer - 1];
        int n = x.length / width;
        float[] qkv = qkv(lw, rows, layer, x, n, false);
        float[] h = add(x, product(lw.o(), attend(rows, layer - 1, qkv), n));
        float[] up = product(lw.up(), norm(h), n);
        int inter = c.intermediate();
        float[] act = new float[n * inter];
        for (int t = 0; t < n; t++) {  // silu(gate) * up, as the tensor path's float32 ops round it
            for (int i = 0; i < inter; i++) {
                float gate = up[t * 2 * inter + i];
                float silu = gate * (float) (1.0 / (1.0 + Math.exp(-gate)));
                act[t * inter + i] = silu * up[t * 2 * inter + inter + i];
            }
        }
        return add(h, product(lw.down(), act, n));
    }

    /** Fills layer {@code layer}'s K/V for the row's tokens from x, without the rest of the layer (CALM's). */
    void propagate(int layer, Row row, float[] x) {
        qkv(model.weights.layers[layer - 1], new Row[] {row}, layer, x, row.count, true);
    }

    /**
     * The exit's logits for x [tokens * width] through {@code head} (the LM head or a pruned one) with kernel k;
     * {@code adapters[t]} is token t's exit adapter, or null.
     */
    float[] logits(Matrix head, Kernel k, float[] x, ExitAdapter[] adapters) {
        return product(head, k, exitInput(x, adapters), x.length / width);
    }

    /** The LM head's logits with the plan's kernel for that many tokens: [tokens * vocab]. */
    float[] logits(float[] x, ExitAdapter[] adapters) {
        Matrix head = model.weights.lmHead;
        return logits(head, model.kernels.kernel(head, x.length / width), x, adapters);
    }

    /** finalNorm(x) per token, through the token's exit adapter where it has one. */
    private float[] exitInput(float[] x, ExitAdapter[] adapters) {
        float[] in = x;
        for (int t = 0; t < adapters.length; t++) {
            if (adapters[t] != null && adapters[t].rank() > 0) {
                in = in == x ? x.clone() : in;
                adapters[t].addResidual(in, t * width);
            }
        }
        float[] out = norm(in);
        for (int t = 0; t < adapters.length; t++) {
            if (adapters[t] != null) {
                adapters[t].scale(out, t * width);
            }
        }
        return out;
    }

    /**
     * q|k|v of every token with RoPE applied to q and k at its position; K/V written into its row's cache. With
     * {@code kvOnly} (a propagated fill) the VECTOR kernel skips q's outputs, half of kjv-ee-12l's q|k|v.
     */
    private float[] qkv(Weights.Layer lw, Row[] rows, int layer, float[] x, int n, boolean kvOnly) {
        Kernel kernel = model.kernels.kernel(lw.qkv(), n);
        boolean skipQ = kvOnly && kernel.layout() == Kernel.Layout.VECTOR;
        int stride = c.qDim() + 2 * c.kvDim();
        float[] qkv = skipQ ? model.kernels.applyVector(lw.qkv(), kernel, norm(x), n, c.qDim(), stride)
                : product(lw.qkv(), kernel, norm(x), n);
        int hd = c.headDim();
        int half = hd / 2;
        float[] cos = model.ropeCosTable;
        float[] sin = model.ropeSinTable;
        int t = 0;
        for (Row r : rows) {
            for (int j = 0; j < r.count; j++, t++) {
                int table = (r.start + j) * hd;
                for (int head = skipQ ? c.heads() : 0; head < c.heads() + c.kvHeads(); head++) {  // q, then k
                    int base = t * stride + head * hd;
                    for (int i = 0; i < half; i++) {  // x cos + rotate_half(x) sin, rotate_half(x) = [-x2, x1]
                        float a = qkv[base + i];
                        float b = qkv[base + i + half];
                        qkv[base + i] = a * cos[table + i] + -b * sin[table + i];
                        qkv[base + i + half] = b * cos[table + i + half] + a * sin[table + i + half];
                    }
                }
                int k = t * stride + c.qDim();
                r.seq.write(layer - 1, r.start + j, qkv, k, qkv, k + c.kvDim());
            }
        }
        return qkv;
    }

    /**
     * Softmax attention of each token's q over the cached positions up to its own: [tokens * qDim]. K/V of every
     * token are already written; a token never reads the positions after it, so this is causal as it stands.
     */
    private float[] attend(Row[] rows, int layer, float[] qkv) {
        int stride = c.qDim() + 2 * c.kvDim();
        int n = qkv.length / stride;
        float[] out = new float[n * c.qDim()];
        int t = 0;
        for (Row r : rows) {
            for (int j = 0; j < r.count; j++, t++) {
                int end = r.start + j + 1;
                if (Kernel.VECTOR_API) {
                    attendInJava(r.seq, layer, qkv, t * stride, end, out, t * c.qDim());
                } else {
                    attendInLibtorch(r.seq, layer, qkv, t * stride, end, out, t * c.qDim());
                }
            }
        }
        return out;
    }

    /** With it stories260K's layer step fell from 43–45 to 34 µs (`bench`, README "Attention in Java"). */
    private void attendInJava(Sequence seq, int layer, float[] qkv, int qFrom, int end, float[] out, int outFrom) {
        if (scores.length < VectorAttention.scoresLength(seq.context())) {
            scores = new float[VectorAttention.scoresLength(seq.context())];
        }
        VectorAttention.attend(seq.keyBytes(layer), seq.valueBytes(layer), seq.context(), c.heads(), c.kvHeads(),
                c.headDim(), qkv, qFrom, end, out, outFrom, scores);
    }

    /** Without the Vector API: two batched products and a softmax over views of the cache. */
    private void attendInLibtorch(Sequence seq, int layer, float[] qkv, int qFrom, int end, float[] out,
                                  int outFrom) {
        q.asFloatBuffer().put(0, qkv, qFrom, c.qDim());
        try (Tape tape = new Tape()) {
            long keys = seq.keys(layer, end, tape);      // [kvHeads, hd, end]
            long values = seq.values(layer, end, tape);  // [kvHeads, end, hd]
            long probs = tape.keep(TensorOps.softmax(tape.keep(TensorOps.bmm(qTensor, keys)), -1, F32));
            long heads = tape.keep(TensorOps.bmm(probs, values));  // [kvHeads, group, hd]
            TensorOps.memory(heads).asFloatBuffer().get(0, out, outFrom, c.qDim());
        }
    }

    private float[] product(Matrix m, float[] x, int n) {
        return product(m, model.kernels.kernel(m, n), x, n);
    }

    private float[] product(Matrix m, Kernel k, float[] x, int n) {
        if (k.layout() == Kernel.Layout.VECTOR) {
            return model.kernels.applyVector(m, k, x, n);  // Java arrays in and out: no tensor
        }
        model.kernels.use(k);
        return m.applyFew(k, input(k.precision(), x, n));
    }

    /** x as a [tokens, length] tensor in the kernel's precision, over {@link #in}. */
    private long input(Kernel.Precision p, float[] x, int n) {
        boolean f16 = p == Kernel.Precision.F16;
        if (f16) {
            for (int i = 0; i < x.length; i++) {
                inHalves.put(i, Half.toF16(x[i]));
            }
        } else {
            inFloats.put(0, x);
        }
        int length = x.length / n;
        int key = ((n << 16) + length) * 2 + p.ordinal();
        for (int i = 0; i < inCount; i++) {
            if (inKeys[i] == key) {
                return inTensors[i];
            }
        }
        if (inCount == inKeys.length) {
            inKeys = java.util.Arrays.copyOf(inKeys, inCount * 2);
            inTensors = java.util.Arrays.copyOf(inTensors, inCount * 2);
        }
        int dtype = (f16 ? DataType.FLOAT16 : DataType.FLOAT32).ordinal();
        inKeys[inCount] = key;
        inTensors[inCount] = TensorOps.fromBuffer(in, new long[] {n, length}, dtype, device);
        return inTensors[inCount++];
    }

    /** x / ||x|| per token: RMSNorm over the stream's constant column, as {@link LayerMath#norm}. */
    private float[] norm(float[] x) {
        float[] out = new float[x.length];
        for (int from = 0; from < x.length; from += width) {
            double squares = 0;
            for (int i = from; i < from + width; i++) {
                squares += (double) x[i] * x[i];
            }
            float length = (float) Math.sqrt(squares);  // >= the constant column's value > 0: eps never applies
            for (int i = from; i < from + width; i++) {
                out[i] = x[i] / length;
            }
        }
        return out;
    }

    private static float[] add(float[] x, float[] y) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] + y[i];
        }
        return out;
    }

    @Override
    public void close() {
        for (int i = 0; i < inCount; i++) {
            TensorOps.delete(inTensors[i]);
        }
        inCount = 0;
        TensorOps.delete(qTensor);
    }
}
