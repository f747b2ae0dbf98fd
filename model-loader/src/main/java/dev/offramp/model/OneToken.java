package dev.offramp.model;

import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.TensorOps;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * A layer step, K/V propagation and exit for a single token (batch-1 decode, the common case) with the elementwise
 * work in Java: RMSNorm, RoPE, SwiGLU and the residual adds touch a few hundred floats each, far less than the
 * libtorch op each would be (about 1 µs alone and 3–5 µs inside a step, measured; the tensor path makes ~37 per
 * layer). libtorch keeps what it is fast at: the matrix products, with the kernel plan's one-row kernels, and
 * attention's two batched products. Inputs are written into tensors over this object's direct memory, outputs read
 * from the result tensor's own memory, and K/V written straight into the sequence's cache. CPU and the LLAMA family
 * without biases only ({@link Transformer#oneTokenPath}); every other case takes {@link Step}'s tensor path.
 */
final class OneToken implements AutoCloseable {
    private static final int F32 = DataType.FLOAT32.ordinal();

    private final Transformer model;
    private final ModelConfig c;
    private final int[] device;
    private final ByteBuffer in;           // a product's input, float16 or float32
    private final FloatBuffer inFloats;
    private final ShortBuffer inHalves;
    private final long[] inTensors = new long[8];  // [1, length] views of `in`, made on first use per key
    private final int[] inKeys = new int[8];       // length * 2 + precision
    private int inCount;
    private final ByteBuffer q;            // attention's q, [kvHeads, group, headDim] float32
    private final long qTensor;

    OneToken(Transformer model) {
        this.model = model;
        this.c = model.config();
        ai.djl.Device d = model.manager().getDevice();
        this.device = new int[] {ai.djl.pytorch.engine.PtDeviceType.toDeviceType(d), d.getDeviceId()};
        int widest = (int) Math.max(model.weights.embedWidth(), Math.max(c.qDim(), c.intermediate()));
        this.in = ByteBuffer.allocateDirect(widest * Float.BYTES).order(ByteOrder.nativeOrder());
        this.inFloats = in.asFloatBuffer();
        this.inHalves = in.asShortBuffer();
        this.q = ByteBuffer.allocateDirect(c.qDim() * Float.BYTES).order(ByteOrder.nativeOrder());
        this.qTensor = TensorOps.fromBuffer(q, new long[] {c.kvHeads(), c.heads() / c.kvHeads(), c.headDim()}, F32,
                device);
    }

    /** Decoder layer {@code layer} (1-based) for the token at {@code position} of {@code seq}: x → the new x. */
    float[] layer(int layer, Sequence seq, int position, float[] x) {
        Weights.Layer lw = model.weights.layers[layer - 1];
        float[] qkv = qkv(lw, seq, layer, position, x);
        float[] h = add(x, product(lw.o(), attend(seq, layer - 1, position + 1, qkv)));
        float[] up = product(lw.up(), norm(h));
        int n = c.intermediate();
        float[] act = new float[n];
        for (int i = 0; i < n; i++) {  // silu(gate) * up, as the tensor path's float32 ops round it
            float gate = up[i];
            float silu = gate * (float) (1.0 / (1.0 + Math.exp(-gate)));
            act[i] = silu * up[n + i];
        }
        return add(h, product(lw.down(), act));
    }

    /** Fills layer {@code layer}'s K/V for the token from x, without the rest of the layer (CALM's propagation). */
    void propagate(int layer, Sequence seq, int position, float[] x) {
        qkv(model.weights.layers[layer - 1], seq, layer, position, x);
    }

    /** The exit's logits for x through {@code head} (the LM head or a pruned one) with kernel {@code k}. */
    float[] logits(Matrix head, Kernel k, float[] x) {
        return product(head, k, norm(x));
    }

    /** q|k|v of x with RoPE applied to q and k; K/V written into the cache at {@code position}. */
    private float[] qkv(Weights.Layer lw, Sequence seq, int layer, int position, float[] x) {
        float[] qkv = product(lw.qkv(), norm(x));
        int hd = c.headDim();
        int half = hd / 2;
        int table = position * hd;
        float[] cos = model.ropeCosTable;
        float[] sin = model.ropeSinTable;
        for (int head = 0; head < c.heads() + c.kvHeads(); head++) {  // q heads, then k heads
            int base = head * hd;
            for (int j = 0; j < half; j++) {  // x cos + rotate_half(x) sin, rotate_half(x) = [-x2, x1]
                float a = qkv[base + j];
                float b = qkv[base + j + half];
                qkv[base + j] = a * cos[table + j] + -b * sin[table + j];
                qkv[base + j + half] = b * cos[table + j + half] + a * sin[table + j + half];
            }
        }
        seq.write(layer - 1, position, qkv, c.qDim(), qkv, c.qDim() + c.kvDim());
        return qkv;
    }

    /** Softmax attention of the token's q over the first {@code end} cached positions: [qDim]. */
    private float[] attend(Sequence seq, int layer, int end, float[] qkv) {
        q.asFloatBuffer().put(0, qkv, 0, c.qDim());
        float[] out = new float[c.qDim()];
        try (Tape t = new Tape()) {
            long keys = seq.keys(layer, end, t);      // [kvHeads, hd, end]
            long values = seq.values(layer, end, t);  // [kvHeads, end, hd]
            long probs = t.keep(TensorOps.softmax(t.keep(TensorOps.bmm(qTensor, keys)), -1, F32));
            long heads = t.keep(TensorOps.bmm(probs, values));                           // [kvHeads, group, hd]
            TensorOps.memory(heads).asFloatBuffer().get(0, out);
        }
        return out;
    }

    private float[] product(Matrix m, float[] x) {
        return product(m, model.kernels.kernel(m, 1), x);
    }

    private float[] product(Matrix m, Kernel k, float[] x) {
        model.kernels.use(k);
        return m.applyOne(k, input(k.precision(), x));
    }

    /** x as a [1, length] tensor in the kernel's precision, over {@link #in}. */
    private long input(Kernel.Precision p, float[] x) {
        boolean f16 = p == Kernel.Precision.F16;
        if (f16) {
            for (int i = 0; i < x.length; i++) {
                inHalves.put(i, Half.fromFloat(x[i]));
            }
        } else {
            inFloats.put(0, x);
        }
        int key = x.length * 2 + p.ordinal();
        for (int i = 0; i < inCount; i++) {
            if (inKeys[i] == key) {
                return inTensors[i];
            }
        }
        int dtype = (f16 ? DataType.FLOAT16 : DataType.FLOAT32).ordinal();
        inKeys[inCount] = key;
        inTensors[inCount] = TensorOps.fromBuffer(in, new long[] {1, x.length}, dtype, device);
        return inTensors[inCount++];
    }

    /** x / ||x||: RMSNorm over the stream's constant column, as {@link LayerMath#norm} (its eps never applies). */
    private static float[] norm(float[] x) {
        double squares = 0;
        for (float v : x) {
            squares += (double) v * v;
        }
        float length = (float) Math.sqrt(squares);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] / length;
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
