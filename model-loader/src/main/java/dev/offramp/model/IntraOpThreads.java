package dev.offramp.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch's intra-op thread count, set per product as the kernel plan says. OpenMP keeps the count per calling
 * thread, so what was last set is remembered per thread and only a change costs a call.
 */
final class IntraOpThreads {
    // Mirrors libtorch's own per-thread setting, which is process-wide state: one mirror for every runtime.
    private static final ThreadLocal<int[]> CURRENT = ThreadLocal.withInitial(() -> new int[] {0});
    private final int max;

    IntraOpThreads(int max) {
        this.max = max;
    }

    /** The most threads a plan may use (the {@code --threads} option). */
    int max() {
        return max;
    }

    void use(int threads) {
        int[] c = CURRENT.get();
        if (c[0] != threads) {
            JniUtils.setNumThreads(threads);
            c[0] = threads;
        }
    }
}
