package dev.offramp.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * The threads a product may use. libtorch's per-thread settings for the thread that computes: the intra-op thread
 * count, set per product as the kernel plan says (OpenMP keeps it per calling thread, so what was last set is
 * remembered per thread and only a change costs a call), and autograd off. DJL turns autograd off only on the thread
 * that started the engine; on any other thread (the server's engine thread, a test's) every op paid for it: measured
 * ~10% of a small op's cost.
 */
final class IntraOpThreads {
    // Mirrors libtorch's own per-thread setting, which is process-wide state: one mirror for every runtime.
    private static final ThreadLocal<int[]> CURRENT = ThreadLocal.withInitial(() -> new int[] {0});
    private final int max;
    private final ProductCrew crew = new ProductCrew();  // the VECTOR kernel's helpers, started on first use
    // The last calling thread's mirror: a product asks twice per call, and ThreadLocal.get on the engine thread (whose
    // map DJL fills) took ~6% of a stories260K token, measured with JFR. One field, so a racing thread sees a pair.
    private volatile Mirror last;

    private record Mirror(Thread thread, int[] state) {}

    IntraOpThreads(int max) {
        this.max = max;
    }

    /** The helpers a VECTOR kernel on {@code threads} threads shares its product with; null for one thread. */
    ProductCrew crew(int threads) {
        return threads == 1 ? null : crew;
    }

    /** The most threads a plan may use (the {@code --threads} option). */
    int max() {
        return max;
    }

    /** Readies the calling thread: autograd off, once per thread. */
    void enter() {
        int[] c = mirror();
        if (c[0] == 0) {
            JniUtils.setGradMode(false);
            c[0] = -1;  // entered; no thread count set yet
        }
    }

    private int[] mirror() {
        Thread t = Thread.currentThread();
        Mirror m = last;
        if (m == null || m.thread != t) {
            m = new Mirror(t, CURRENT.get());
            last = m;
        }
        return m.state;
    }

    void use(int threads) {
        enter();
        int[] c = mirror();
        if (c[0] != threads) {
            JniUtils.setNumThreads(threads);
            c[0] = threads;
        }
    }
}
