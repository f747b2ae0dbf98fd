package dev.offramp.model;

/**
 * One way to compute a matrix product: the weights' storage precision, their layout, and the intra-op threads
 * libtorch may use for it. A float16 kernel converts its input to float16; its output is added to the float32
 * residual (libtorch promotes mixed operands) or converted back; the residual stream, attention and norms stay
 * float32.
 *
 * @param threads intra-op threads for the product, 1 or more
 */
public record Kernel(Precision precision, Layout layout, int threads) {
    /** Weight storage: float32 (the reference) or float16 (half the bytes to stream; libtorch accumulates in float32). */
    public enum Precision { F32, F16 }

    /**
     * {@code LINEAR}: libtorch's {@code linear(x, W)} over W [out, in]; {@code MATMUL}: {@code x.matMul(W)} over
     * W [in, out]; {@code VECTOR}: {@link VectorProduct}, Java's Vector API over W [out, in] in a Java array (CPU,
     * float32; its outputs shared among the calling thread and Java helpers, {@link ProductCrew}).
     */
    public enum Layout { LINEAR, MATMUL, VECTOR }

    /**
     * Whether this JVM has the Vector API that the VECTOR kernel needs ({@code ./offramp}, the image and the tests add
     * it; a bare {@code java} may not). Read here, not in {@link VectorProduct}, which cannot even load without it.
     */
    public static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** The reference kernel: float32 weights, {@code linear}, one thread (parity with transformers and llama2.c). */
    public static final Kernel REFERENCE = new Kernel(Precision.F32, Layout.LINEAR, 1);

    public Kernel {
        if (precision == null || layout == null) {
            throw new IllegalArgumentException("kernel: expected a precision and a layout");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("kernel threads: expected a positive integer, found " + threads);
        }
        if (!valid(precision, layout)) {
            throw new IllegalArgumentException("kernel " + precision.name().toLowerCase() + "/vector/" + threads
                    + "t: the vector kernel is float32 (f32/vector/Nt)");
        }
    }

    /** Whether this precision and layout make a kernel: the VECTOR layout is float32 only. */
    static boolean valid(Precision precision, Layout layout) {
        return layout != Layout.VECTOR || precision == Precision.F32;
    }

    /** Short form for logs and tables, e.g. {@code f16/linear/2t}. */
    @Override
    public String toString() {
        return precision.name().toLowerCase() + "/" + layout.name().toLowerCase() + "/" + threads + "t";
    }

    /** Parses {@link #toString()}'s form. */
    public static Kernel parse(String s) {
        String[] p = s.split("/");
        if (p.length != 3 || !p[2].endsWith("t")) {
            throw new IllegalArgumentException("kernel '" + s + "': expected precision/layout/Nt, e.g. f16/linear/2t");
        }
        Precision precision;
        Layout layout;
        int threads;
        try {
            precision = Precision.valueOf(p[0].toUpperCase());
            layout = Layout.valueOf(p[1].toUpperCase());
            threads = Integer.parseInt(p[2].substring(0, p[2].length() - 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("kernel '" + s + "': expected f32|f16 / linear|matmul|vector / Nt", e);
        }
        return new Kernel(precision, layout, threads);
    }
}
