package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtDeviceType;
import ai.djl.pytorch.jni.TensorOps;
import dev.offramp.model.io.Half;

/**
 * One weight matrix in the forms a {@link KernelPlan} computes it with: float32 or float16, [out, in] for
 * {@code linear} or [in, out] for {@code matMul}, and a float32 Java array for {@link VectorProduct}. Forms are
 * made while planning ({@link #prepare}) and the unused ones dropped afterwards ({@link #retain}); the serving path
 * never allocates one (a pruned head's rows are gathered per request, in any form).
 */
final class Matrix {
    private static final int F16 = DataType.FLOAT16.ordinal();  // TensorOps.to takes DJL's DataType ordinal
    private static final int F32 = DataType.FLOAT32.ordinal();

    final Product product;
    final long inDim;                               // columns of x; -1 for a pruned head in libtorch's form
    private final long outDim;
    private final NDManager manager;
    private final NDArray bias;                    // [out] float32, null without one
    private final NDArray[] forms = new NDArray[4]; // libtorch's forms; index: precision * 2 + layout
    private float[] vector;                         // the VECTOR form: [out, VectorProduct.stride(in)], or null
    private final int[] device;                     // libtorch's (type, id) of the manager's device

    /** @param weight [out, in] float32, owned by {@code manager} from now on */
    Matrix(Product product, NDArray weight, NDArray bias, NDManager manager) {
        this(product, bias, manager, weight == null ? -1 : weight.getShape().get(0),
                weight == null ? -1 : weight.getShape().get(1));
        forms[index(Kernel.Precision.F32, Kernel.Layout.LINEAR)] = weight;
    }

    private Matrix(Product product, NDArray bias, NDManager manager, long outDim, long inDim) {
        this.product = product;
        this.inDim = inDim;
        this.outDim = outDim;
        this.device = new int[] {PtDeviceType.toDeviceType(manager.getDevice()), manager.getDevice().getDeviceId()};
        this.manager = manager;
        this.bias = bias;
    }

    private static int index(Kernel.Precision p, Kernel.Layout l) {
        return p.ordinal() * 2 + l.ordinal();
    }

    /** Makes the form {@code k} needs, from any form already held. */
    void prepare(Kernel k) {
        if (k.layout() == Kernel.Layout.VECTOR) {
            if (manager.getDevice().isGpu()) {
                throw new IllegalArgumentException("kernel " + k + ": the vector kernel runs on the CPU only");
            }
            if (!Kernel.VECTOR_API) {
                throw new IllegalArgumentException("kernel " + k + ": this JVM lacks the Vector API (run it with"
                        + " --add-modules jdk.incubator.vector, as ./offramp does)");
            }
            if (vector == null) {
                try (NDManager scratch = manager.newSubManager(); NDArray w = float32(scratch)) {
                    vector = VectorProduct.pad(w.toFloatArray(), (int) outDim, (int) inDim);
                }
            }
            return;
        }
        int i = index(k.precision(), k.layout());
        if (forms[i] != null) {
            return;
        }
        NDArray src = null;
        int from = -1;
        for (int j = 0; j < forms.length && src == null; j++) {
            src = forms[j];
            from = j;
        }
        DataType want = k.precision() == Kernel.Precision.F16 ? DataType.FLOAT16 : DataType.FLOAT32;
        NDArray made;
        if ((from & 1) != k.layout().ordinal()) {
            // flatten copies the transposed view into contiguous memory (a clone would keep its strides)
            long rows = src.getShape().get(0);
            long cols = src.getShape().get(1);
            try (NDArray view = src.transpose(); NDArray flat = view.flatten();
                 NDArray typed = flat.toType(want, true)) {
                made = typed.reshape(cols, rows);
            }
        } else {
            made = src.toType(want, true);  // same layout, so the other precision (this form's own is absent)
        }
        made.attach(manager);
        forms[i] = made;
    }

    /** Keeps only the forms {@code plan} uses for this product. */
    void retain(KernelPlan plan) {
        for (Kernel.Precision p : Kernel.Precision.values()) {
            for (Kernel.Layout l : Kernel.Layout.values()) {
                if (plan.uses(p, l, product)) {
                    prepare(new Kernel(p, l, 1));
                }
            }
        }
        for (Kernel.Precision p : Kernel.Precision.values()) {
            for (Kernel.Layout l : Kernel.Layout.values()) {
                if (l == Kernel.Layout.VECTOR) {
                    if (!plan.uses(Kernel.Precision.F32, l, product)) {
                        vector = null;
                    }
                    continue;
                }
                int i = index(p, l);
                if (forms[i] != null && !plan.uses(p, l, product)) {
                    forms[i].close();
                    forms[i] = null;
                }
            }
        }
    }

    /** Whether {@link #apply} with {@code anyPrecision} returns float16 for kernel {@code k} without a residual. */
    boolean float16Output(Kernel k) {
        return k.precision() == Kernel.Precision.F16 && bias == null;
    }

    /** {@code [out, in]} in words, for cache keys. */
    String shape() {
        return product.name() + "[" + outDim + "," + inDim + "]";
    }

    /** Bytes of the forms held. */
    long bytes() {
        long sum = vector == null ? 0 : (long) vector.length * Float.BYTES;
        for (NDArray f : forms) {
            if (f != null) {
                sum += f.size() * f.getDataType().getNumOfBytes();
            }
        }
        return sum;
    }

    /**
     * residual + x W^T + bias with kernel {@code k} on tensor handles: x [n, in] float32 → [n, out], {@code residual}
     * 0 for none; every new tensor is recorded on {@code t}. The result is float32 unless {@code anyPrecision} lets a
     * float16 kernel return its own output without a conversion (for a consumer whose next op promotes it). The
     * float32 {@code linear} form passes the residual as addmm's bias (one op instead of two); a float16 product is
     * added to a float32 residual or bias directly, since libtorch promotes mixed operands to float32 (the same
     * values as a conversion, one op fewer).
     */
    long apply(Kernel k, long x, long residual, boolean anyPrecision, Tape t) {
        if (k.layout() == Kernel.Layout.VECTOR) {
            throw new IllegalArgumentException(product.label() + ": the vector kernel runs through applyVector");
        }
        NDArray form = forms[index(k.precision(), k.layout())];
        if (form == null) {
            throw new IllegalStateException(product.label() + ": no " + k + " form was prepared");
        }
        long w = Tape.handle(form);
        boolean f16 = k.precision() == Kernel.Precision.F16;
        boolean linear = k.layout() == Kernel.Layout.LINEAR;
        if (!f16 && linear && bias == null) {
            return t.keep(TensorOps.linear(x, w, residual));
        }
        long in = f16 ? t.keep(TensorOps.to(x, F16, device)) : x;
        long y = t.keep(linear ? TensorOps.linear(in, w, 0) : TensorOps.matmul(in, w));
        if (bias != null) {
            y = t.keep(TensorOps.add(y, Tape.handle(bias)));
        }
        if (residual != 0) {
            return t.keep(TensorOps.add(residual, y));
        }
        return f16 && bias == null && !anyPrecision ? t.keep(TensorOps.to(y, F32, device)) : y;
    }

    /**
     * {@link #apply} for the VECTOR kernel on a CPU tensor: x is read out of its memory, the product written into a
     * new tensor (a buffer's tensor copied into libtorch's own memory, so it outlives the buffer), the bias and the
     * residual added by libtorch.
     */
    long applyVector(long x, long residual, ProductCrew crew, int threads, Tape t) {
        float[] in = floats(x);
        int n = in.length / (int) inDim;
        float[] y = applyVector(in, n, crew, threads);
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocateDirect(y.length * Float.BYTES)
                .order(java.nio.ByteOrder.nativeOrder());
        buffer.asFloatBuffer().put(y);
        long view = TensorOps.fromBuffer(buffer, new long[] {n, outDim}, F32, device);
        long out;
        try {
            out = t.keep(TensorOps.cat(new long[] {view}, 0));  // a copy: the view dies with the buffer
        } finally {
            TensorOps.delete(view);
        }
        if (bias != null) {
            out = t.keep(TensorOps.add(out, Tape.handle(bias)));
        }
        return residual != 0 ? t.keep(TensorOps.add(residual, out)) : out;
    }

    /** A float32 CPU tensor's values, read from a contiguous copy (the tensor may be a strided view). */
    private static float[] floats(long x) {
        long contiguous = TensorOps.cat(new long[] {x}, 0);
        try {
            java.nio.FloatBuffer values = TensorOps.memory(contiguous).asFloatBuffer();
            float[] out = new float[values.remaining()];
            values.get(0, out);
            return out;
        } finally {
            TensorOps.delete(contiguous);
        }
    }

    /**
     * x W^T with the VECTOR kernel, shared among {@code threads} threads of {@code crew} (null: this thread): x
     * [n * in] → [n * out]. No bias: {@link FewTokens}' products have none.
     */
    float[] applyVector(float[] x, int n, ProductCrew crew, int threads) {
        return applyVector(x, n, crew, threads, 0, (int) outDim);
    }

    /** {@link #applyVector} for outputs {@code [first, last)} only; the others are 0. */
    float[] applyVector(float[] x, int n, ProductCrew crew, int threads, int first, int last) {
        if (vector == null) {
            throw new IllegalStateException(product.label() + ": no f32/vector form was prepared");
        }
        return VectorProduct.apply(vector, (int) outDim, (int) inDim, x, n, crew, threads, first, last);
    }

    /** The VECTOR form without its padding: [out * in]. */
    private float[] unpadded() {
        int stride = VectorProduct.stride((int) inDim);
        if (stride == inDim) {
            return vector;
        }
        float[] w = new float[(int) (outDim * inDim)];
        for (int j = 0; j < outDim; j++) {
            System.arraycopy(vector, j * stride, w, j * (int) inDim, (int) inDim);
        }
        return w;
    }

    /**
     * x W^T on an [n, in] tensor in {@code k}'s precision, read out of the result's memory into Java as [n * out]
     * (float16 widened exactly): {@link FewTokens}' products. No bias: that path is taken only without biases.
     */
    float[] applyFew(Kernel k, long x) {
        NDArray form = forms[index(k.precision(), k.layout())];
        if (form == null) {
            throw new IllegalStateException(product.label() + ": no " + k + " form was prepared");
        }
        long w = Tape.handle(form);
        long y = k.layout() == Kernel.Layout.LINEAR ? TensorOps.linear(x, w, 0) : TensorOps.matmul(x, w);
        try {
            java.nio.ByteBuffer memory = TensorOps.memory(y);
            if (k.precision() == Kernel.Precision.F16) {
                java.nio.ShortBuffer halves = memory.asShortBuffer();
                float[] out = new float[halves.remaining()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = Half.f16(halves.get(i));
                }
                return out;
            }
            java.nio.FloatBuffer floats = memory.asFloatBuffer();
            float[] out = new float[floats.remaining()];
            floats.get(0, out);
            return out;
        } finally {
            TensorOps.delete(y);
        }
    }

    /** A float32 [out, in] copy of this matrix in {@code into}, from whichever form is held (for training against). */
    NDArray float32(NDManager into) {
        if (vector != null) {
            return into.create(unpadded(), new ai.djl.ndarray.types.Shape(outDim, inDim));
        }
        for (int i = 0; i < forms.length; i++) {
            if (forms[i] != null) {
                try (NDManager scratch = manager.newSubManager()) {
                    NDArray src = forms[i];
                    src.tempAttach(scratch);
                    NDArray w = (i & 1) == Kernel.Layout.LINEAR.ordinal() ? src : src.transpose();
                    NDArray out = w.toType(DataType.FLOAT32, true).duplicate();
                    out.attach(into);
                    return out;
                }
            }
        }
        throw new IllegalStateException(product.label() + ": no form is held");
    }

    /** A float32 copy of the bias in {@code into}, or null without one. */
    NDArray bias32(NDManager into) {
        if (bias == null) {
            return null;
        }
        NDArray out = bias.duplicate();
        out.attach(into);
        return out;
    }

    boolean hasBias() {
        return bias != null;
    }

    /**
     * The rows {@code ids} of this matrix (output units: for the LM head, token ids) in kernel {@code k}'s form,
     * allocated in {@code step}: dynamic vocabulary pruning's small head.
     */
    Matrix rows(Kernel k, int[] ids, NDManager step) {
        NDArray idx = bias == null && k.layout() == Kernel.Layout.VECTOR ? null
                : step.create(java.util.Arrays.stream(ids).asLongStream().toArray());
        NDArray pickedBias = bias == null ? null : bias.get(step, new NDIndex("{}", idx));
        if (k.layout() == Kernel.Layout.VECTOR) {
            // Java arrays only (no index tensor, no read-back): that pair cost ~90 µs a token on kjv-ee-12l
            int stride = VectorProduct.stride((int) inDim);
            float[] w = new float[ids.length * stride];
            for (int i = 0; i < ids.length; i++) {
                System.arraycopy(vector, ids[i] * stride, w, i * stride, stride);
            }
            Matrix m = new Matrix(product, pickedBias, step, ids.length, inDim);
            m.vector = w;
            return m;
        }
        NDArray w = forms[index(k.precision(), k.layout())];
        NDIndex pick = k.layout() == Kernel.Layout.LINEAR ? new NDIndex("{}", idx) : new NDIndex(":, {}", idx);
        Matrix m = new Matrix(product, null, pickedBias, step);
        m.forms[index(k.precision(), k.layout())] = w.get(step, pick);
        return m;
    }
}
