package dev.offramp.model;

/** Runs a matrix product with the kernel the plan names for its product and row count. */
final class Kernels {
    final KernelPlan plan;
    private final IntraOpThreads threads;

    Kernels(KernelPlan plan, IntraOpThreads threads) {
        this.plan = plan;
        this.threads = threads;
    }

    /** Readies the calling thread to compute (see {@link IntraOpThreads#enter}). */
    void enterThread() {
        threads.enter();
    }

    /** The kernel the plan names for {@code m} over {@code rows} rows. */
    Kernel kernel(Matrix m, int rows) {
        return plan.kernel(m.product, Bucket.of(rows));
    }

    /** Sets the calling thread's intra-op threads for kernel {@code k}. */
    void use(Kernel k) {
        threads.use(k.threads());
    }

    /** x W^T with VECTOR kernel {@code k} on Java arrays, x [n * in] → [n * out]: {@link FewTokens}' products. */
    float[] applyVector(Matrix m, Kernel k, float[] x, int n) {
        return m.applyVector(x, n, crew(k), k.threads());
    }

    /** {@link #applyVector} for outputs {@code [first, last)} only; the others are 0. */
    float[] applyVector(Matrix m, Kernel k, float[] x, int n, int first, int last) {
        return m.applyVector(x, n, crew(k), k.threads(), first, last);
    }

    /**
     * The Java helpers a VECTOR kernel shares its product with (null: none, one thread). libtorch drops to one
     * intra-op thread meanwhile: its pool's threads spin after each op, and on the same cores they would take the
     * helpers' turn (measured: a layer step of 1,082 µs instead of ~200 with libtorch left at two threads).
     */
    private ProductCrew crew(Kernel k) {
        threads.use(1);
        return threads.crew(k.threads());
    }

    /** residual + x W^T (+ bias) on handles, float32 unless {@code anyPrecision}; see {@link Matrix#apply}. */
    long apply(Matrix m, Kernel k, long x, long residual, boolean anyPrecision, Tape t) {
        if (k.layout() == Kernel.Layout.VECTOR) {
            return m.applyVector(x, residual, crew(k), k.threads(), t);
        }
        threads.use(k.threads());
        return m.apply(k, x, residual, anyPrecision, t);
    }

    /** residual + x W^T (+ bias) in float32 for x [rows, in], with the plan's kernel for that many rows. */
    long apply(Matrix m, long x, int rows, long residual, Tape t) {
        return apply(m, kernel(m, rows), x, residual, false, t);
    }
}
