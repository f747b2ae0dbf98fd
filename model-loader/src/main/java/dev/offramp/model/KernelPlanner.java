package dev.offramp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Chooses the kernel plan by timing, in the manner of FFTW's planner: for each bucket of rows, every candidate
 * kernel is timed over a whole pass of the model's products (so the weights compete for the cache as they do in
 * a token), the fastest becomes the bucket's kernel, then each product alone tries the other forms on the same
 * thread count and keeps one that makes the pass faster.
 */
final class KernelPlanner {
    /** Times one pass of {@code candidate}'s products at {@code bucket}, in µs. Injected so tests can fake it. */
    interface PassTimer {
        double micros(KernelPlan candidate, Bucket bucket, Runnable pass);
    }

    private static final int WARMUP_PASSES = 60;   // DJL paths need JIT warm-up before they are timed
    private static final double KEEP_MARGIN = 0.97; // a per-product change must win by 3% (noise)
    private static final double TRY_WITHIN = 1.5;  // per-product tries only for kernels near the best uniform
    private static final long SETTLE_MS = 5;

    private final Weights weights;
    private final IntraOpThreads threads;
    private final PassTimer timer;

    KernelPlanner(Weights weights, IntraOpThreads threads, PassTimer timer) {
        this.weights = weights;
        this.threads = threads;
        this.timer = timer;
    }

    /** Best of {@code repeats} passes after a warm-up one, measured with {@code nanoTime}. */
    static PassTimer wallClock(LongSupplier nanoTime, int repeats) {
        return (candidate, bucket, pass) -> {
            settle();
            pass.run();
            long best = Long.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                long t0 = nanoTime.getAsLong();
                pass.run();
                best = Math.min(best, nanoTime.getAsLong() - t0);
            }
            return best / 1e3;
        };
    }

    /**
     * Waits out the spinning of threads the previous candidate woke: libtorch's OpenMP workers spin for a while after
     * their last op, on the cores the VECTOR kernel's helpers are about to be timed on (measured: without the pause,
     * f32/vector/2t timed 1.4x slower right after a libtorch two-thread candidate than alone).
     */
    private static void settle() {
        try {
            Thread.sleep(SETTLE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The candidate kernels: both precisions and libtorch's layouts on 1..maxThreads threads, and with {@code vector}
     * (a model on the few-token path, in a JVM with the Vector API) the VECTOR kernel.
     */
    static List<Kernel> candidates(int maxThreads, boolean vector) {
        List<Kernel> out = new ArrayList<>();
        for (int t = 1; t <= maxThreads; t++) {
            for (Kernel.Precision p : Kernel.Precision.values()) {
                for (Kernel.Layout l : Kernel.Layout.values()) {
                    if (l != Kernel.Layout.VECTOR || vector && Kernel.valid(p, l)) {
                        out.add(new Kernel(p, l, t));
                    }
                }
            }
        }
        return out;
    }

    /** Plans over {@code candidates}, then drops the weight forms the plan does not use. */
    KernelPlan plan(List<Kernel> candidates, NDManager manager) {
        for (Kernel k : candidates) {
            weights.matrices().forEach(m -> m.prepare(k));
        }
        KernelPlan plan = KernelPlan.uniform(candidates.get(0));
        try (NDManager inputs = manager.newSubManager()) {
            Map<Long, NDArray> one = inputs(weights.matrices(), weights.embedWidth(), Bucket.ONE.timedRows(), inputs);
            Runnable warm = pass(plan, Bucket.ONE, one);
            for (int i = 0; i < WARMUP_PASSES; i++) {
                warm.run();
            }
            warmVector(candidates, inputs);
            for (Bucket b : Bucket.values()) {
                Map<Long, NDArray> xs = inputs(weights.matrices(), weights.embedWidth(), b.timedRows(), inputs);
                plan = planBucket(plan, b, candidates, xs);
            }
        }
        retain(plan);
        return plan;
    }

    /**
     * Runs the VECTOR kernel's blocks of 1, 2, 4 and 8 rows until the JIT has compiled them: interpreted, the Vector
     * API is two orders of magnitude slower, and the kernel would be timed before it is what it will be.
     */
    private void warmVector(List<Kernel> candidates, NDManager inputs) {
        for (Kernel vector : candidates) {
            if (vector.layout() != Kernel.Layout.VECTOR) {
                continue;
            }
            KernelPlan uniform = KernelPlan.uniform(vector);
            for (int rows : new int[] {1, 2, 4, 8}) {
                Map<Long, NDArray> xs = inputs(weights.matrices(), weights.embedWidth(), rows, inputs);
                Runnable pass = pass(weights.matrices(), weights.embedWidth(), new Kernels(uniform, threads), rows,
                        xs);
                for (int i = 0; i < WARMUP_PASSES; i++) {
                    pass.run();
                }
            }
        }
    }

    void retain(KernelPlan plan) {
        weights.matrices().forEach(m -> m.retain(plan));
    }

    private KernelPlan planBucket(KernelPlan plan, Bucket b, List<Kernel> candidates, Map<Long, NDArray> xs) {
        Map<Kernel, Double> uniform = new HashMap<>();
        Kernel best = null;
        for (Kernel k : candidates) {
            KernelPlan p = plan.with(b, k);
            double t = timer.micros(p, b, pass(p, b, xs));
            uniform.put(k, t);
            if (best == null || t < uniform.get(best)) {
                best = k;
            }
        }
        double bestTime = uniform.get(best);
        plan = plan.with(b, best).measured(b, bestTime);
        for (Product product : Product.values()) {
            for (Kernel k : candidates) {
                if (k.threads() != best.threads() || k.equals(plan.kernel(product, b))
                        || uniform.get(k) > bestTime * TRY_WITHIN) {
                    continue;
                }
                KernelPlan p = plan.with(product, b, k);
                double t = timer.micros(p, b, pass(p, b, xs));
                if (t < plan.passMicros(b) * KEEP_MARGIN) {
                    plan = p.measured(b, t);
                }
            }
        }
        return plan;
    }

    private Runnable pass(KernelPlan plan, Bucket b, Map<Long, NDArray> xs) {
        return pass(weights.matrices(), weights.embedWidth(), new Kernels(plan, threads), b.timedRows(), xs);
    }

    /**
     * µs of one pass over {@code matrices} with {@code kernels} at {@code rows} rows, best of {@code repeats} after
     * a warm-up one.
     */
    static double passMicros(List<Matrix> matrices, long width, Kernels kernels, int rows, int repeats,
                             NDManager manager) {
        try (NDManager inputs = manager.newSubManager()) {
            return wallClock(System::nanoTime, repeats).micros(kernels.plan, Bucket.of(rows),
                    pass(matrices, width, kernels, rows, inputs(matrices, width, rows, inputs)));
        }
    }

    /** Random inputs [rows, in] for every input width the matrices read (the stream's width included). */
    private static Map<Long, NDArray> inputs(List<Matrix> matrices, long width, int rows, NDManager manager) {
        Map<Long, NDArray> xs = new HashMap<>();
        xs.put(width, manager.randomNormal(0f, 0.5f, new Shape(rows, width), DataType.FLOAT32));
        for (Matrix m : matrices) {
            xs.computeIfAbsent(m.inDim, in -> manager.randomNormal(0f, 0.5f, new Shape(rows, in), DataType.FLOAT32));
        }
        return xs;
    }

    /**
     * Every product of the model once, in a token's order, over {@code rows} rows (residuals included), as a layer
     * step runs them: on tensor handles, or for a VECTOR kernel over a few rows on Java arrays, as {@link FewTokens}
     * (the only path that is offered the VECTOR kernel below {@link FewTokens#MOST_TOKENS} rows) runs it.
     */
    private static Runnable pass(List<Matrix> matrices, long width, Kernels kernels, int rows, Map<Long, NDArray> xs) {
        long residual = Tape.handle(xs.get(width));
        NDManager manager = xs.get(width).getManager();
        boolean gpu = manager.getDevice().isGpu();
        Map<Long, float[]> arrays = new HashMap<>();
        float[] stream = FewTokens.fits(rows) ? xs.get(width).toFloatArray() : null;
        return () -> {
            try (Tape t = new Tape()) {
                long last = 0;
                for (Matrix m : matrices) {
                    boolean adds = m.product == Product.O || m.product == Product.DOWN;
                    Kernel k = kernels.kernel(m, rows);
                    if (stream != null && k.layout() == Kernel.Layout.VECTOR) {
                        float[] y = kernels.applyVector(m, k,
                                arrays.computeIfAbsent(m.inDim, in -> xs.get(in).toFloatArray()), rows);
                        for (int i = 0; adds && i < y.length; i++) {
                            y[i] += stream[i];
                        }
                        continue;
                    }
                    last = kernels.apply(m, Tape.handle(xs.get(m.inDim)), rows, adds ? residual : 0, t);
                }
                if (gpu && last != 0) {
                    try (NDArray out = t.wrap(last, manager)) {
                        out.toFloatArray();  // waits for the device
                    }
                }
            }
        };
    }
}
