package dev.offramp.model;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * Java threads that share a VECTOR product with the thread that asks for it, as OpenMP's pool does for libtorch's
 * kernels. A product is cut into chunks that the caller and its helpers claim one at a time, so a helper the OS has
 * not scheduled costs the caller at most the chunk it holds, not its share: the caller takes whatever is left. A
 * helper spins briefly between products (a layer's products come microseconds apart, and waking a parked thread
 * costs more than a small product) and parks once the caller has gone quiet. One caller at a time: another thread
 * that finds the crew busy runs every chunk itself, which gives the same numbers (each output is one chunk's, and a
 * chunk is computed the same way on any thread).
 */
final class ProductCrew {
    /** How long a helper spins for the next product before it parks. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    private final List<Helper> helpers = new ArrayList<>();  // started as products first ask for them
    private final ReentrantLock busy = new ReentrantLock();

    /** Runs {@code chunk.accept(0..chunks-1)} on this thread and {@code threads - 1} helpers; returns when all ran. */
    void run(int threads, int chunks, IntConsumer chunk) {
        if (threads < 1 || chunks < 1) {
            throw new IllegalArgumentException("crew: expected at least 1 thread and 1 chunk, found " + threads
                    + " and " + chunks);
        }
        Job job = new Job(chunk, chunks);
        if (threads == 1 || chunks == 1 || !busy.tryLock()) {
            job.work();
            job.rethrow();
            return;
        }
        try {
            while (helpers.size() < threads - 1) {
                helpers.add(new Helper(helpers.size() + 1));
            }
            for (int h = 0; h < threads - 1; h++) {
                helpers.get(h).post(job);
            }
            job.work();
            while (job.done.get() < chunks) {  // a helper still on its last chunk
                Thread.onSpinWait();
            }
        } finally {
            busy.unlock();
        }
        job.rethrow();
    }

    /** One product's chunks, claimed in order by whichever thread is free. */
    private static final class Job {
        private final IntConsumer chunk;
        private final int chunks;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private volatile Throwable failure;

        Job(IntConsumer chunk, int chunks) {
            this.chunk = chunk;
            this.chunks = chunks;
        }

        void work() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    chunk.accept(c);
                } catch (Throwable t) {
                    failure = t;
                }
                done.incrementAndGet();
            }
        }

        void rethrow() {
            Throwable f = failure;
            if (f instanceof RuntimeException e) {
                throw e;
            }
            if (f instanceof Error e) {
                throw e;
            }
            if (f != null) {
                throw new IllegalStateException(f);
            }
        }
    }

    /** One helper thread: works on each job posted to it. */
    private static final class Helper implements Runnable {
        private final Thread thread;
        private volatile Job job;
        private volatile long posted;  // jobs posted so far; only the crew's one caller writes it
        private volatile boolean parked;

        Helper(int index) {
            this.thread = new Thread(this, "offramp-product-" + index);
            thread.setDaemon(true);  // lives as long as the process, as libtorch's own pool does
            thread.start();
        }

        void post(Job j) {
            job = j;
            posted = posted + 1;
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long since = System.nanoTime();
                while (posted == seen) {
                    if (System.nanoTime() - since < SPIN_NANOS) {
                        Thread.onSpinWait();
                        continue;
                    }
                    parked = true;
                    if (posted == seen) {  // re-read after announcing: a post in between sees parked and unparks
                        LockSupport.park(this);
                    }
                    parked = false;
                    since = System.nanoTime();
                }
                seen = posted;
                job.work();
            }
        }
    }
}
