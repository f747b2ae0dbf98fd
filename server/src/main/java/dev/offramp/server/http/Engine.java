package dev.offramp.server.http;

import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.PolicyRegistry;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model and the one engine thread that runs it (one per device): the model loads on that thread, then the
 * {@link Scheduler} batches every accepted job there. Requests are parsed, checked against the model and tokenized
 * before they reach it, on a small validation pool, so that nothing a request sends can stall or stop the engine
 * thread. Admission happens on that pool too: beyond the running and waiting limits a job is refused with 429.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    /** Validation threads: tokenizing a large prompt takes a core for a while; two keep small requests moving. */
    private static final int VALIDATION_THREADS = 2;

    /**
     * @param maxRunning      jobs in the batch at once
     * @param maxWaiting      jobs accepted beyond those, waiting to join
     * @param budgetMinLayer  the shallowest depth a latency budget may force; 0: a quarter of the model's layers
     * @param stallTimeout    how long a stream whose client stopped reading is held before it is cancelled
     * @param maxQueueWait    how long an accepted job may wait to join the batch before it is refused (503 with
     *                        Retry-After); zero: as long as it takes
     */
    public record Limits(int maxRunning, int maxWaiting, int budgetMinLayer, Duration stallTimeout,
                         Duration maxQueueWait) {
        public static final Limits DEFAULT = new Limits(16, 64, 0, Duration.ofSeconds(30), Duration.ZERO);

        /** With no limit on the time in the queue. */
        public Limits(int maxRunning, int maxWaiting, int budgetMinLayer, Duration stallTimeout) {
            this(maxRunning, maxWaiting, budgetMinLayer, stallTimeout, Duration.ZERO);
        }

        public Limits {
            if (maxQueueWait == null || maxQueueWait.isNegative()) {
                throw new IllegalArgumentException("max queue wait: expected >= 0, found " + maxQueueWait);
            }
            if (maxRunning < 1) {
                throw new IllegalArgumentException("max running: expected >= 1, found " + maxRunning);
            }
            if (maxWaiting < 0) {
                throw new IllegalArgumentException("max waiting: expected >= 0, found " + maxWaiting);
            }
            if (budgetMinLayer < 0) {
                throw new IllegalArgumentException("budget min layer: expected >= 0, found " + budgetMinLayer);
            }
        }

        int budgetMinLayer(int layers) {
            return budgetMinLayer == 0 ? Math.max(1, layers / 4) : Math.min(budgetMinLayer, layers);
        }
    }

    private final String modelId;
    private final ChatTemplate chat;
    private final ModeOptions defaultMode;
    private final Cascade cascade;
    private final PolicyRegistry policies;
    private final Limits limits;
    private final Metrics metrics;
    private final LinkedBlockingQueue<Job> waiting = new LinkedBlockingQueue<>();
    private final AtomicInteger admitted = new AtomicInteger();  // running + waiting
    private final CompletableFuture<LoadedModel> model = new CompletableFuture<>();
    private final Thread thread;
    private final ThreadPoolExecutor validation;
    private final long created = System.currentTimeMillis() / 1000;
    private volatile boolean closing;
    private volatile boolean draining;   // no new work; what was accepted runs on

    /** @param modelId the id clients name it by (its folder or file name) */
    public Engine(String modelId, Supplier<LoadedModel> loader) {
        this(modelId, loader, ChatTemplate.plain(), Limits.DEFAULT, ModeOptions.NONE, null);
    }

    /**
     * @param defaultMode what a request without an {@code early_exit} object runs (e.g. a calibration profile)
     * @param cascade     the cascade requests may choose ({@code early_exit.mode = cascade}), or null
     */
    public Engine(String modelId, Supplier<LoadedModel> loader, ChatTemplate chat, Limits limits,
                  ModeOptions defaultMode, Cascade cascade) {
        this(modelId, loader, chat, limits, defaultMode, cascade, PolicyRegistry.standard());
    }

    /** @param policies the policies requests' specs may name (built-in and plug-in), one registry for all */
    public Engine(String modelId, Supplier<LoadedModel> loader, ChatTemplate chat, Limits limits,
                  ModeOptions defaultMode, Cascade cascade, PolicyRegistry policies) {
        this.modelId = modelId;
        this.policies = policies;
        this.cascade = cascade;
        this.defaultMode = defaultMode;
        this.chat = chat;
        this.limits = limits;
        this.metrics = new Metrics(modelId);
        if (cascade != null) {
            metrics.cascadeMember(cascade.small());
        }
        // Bounded like admission: a request waiting for validation is one more the server has taken on.
        this.validation = new ThreadPoolExecutor(VALIDATION_THREADS, VALIDATION_THREADS, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(limits.maxRunning() + limits.maxWaiting()), daemon("offramp-validate"),
                (task, pool) -> {
                    if (pool.isShutdown()) {
                        throw shuttingDown();
                    }
                    metrics.rejected("queue_full");
                    throw ApiException.overloaded(limits.maxRunning(), limits.maxWaiting());
                });
        this.thread = new Thread(() -> run(loader), "offramp-engine");
        thread.setDaemon(true);
        thread.start();
    }

    private void run(Supplier<LoadedModel> loader) {
        LoadedModel m;
        try {
            m = loader.get();
        } catch (RuntimeException | Error e) {
            model.completeExceptionally(e);
            return;
        }
        model.complete(m);
        try (m) {
            new Scheduler(m, limits, metrics, waiting, admitted::decrementAndGet, System::nanoTime)
                    .run(() -> closing);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            // The scheduler fails a request for whatever it can cause; reaching here is a fault of the engine itself.
            LOG.error("the engine thread stopped; /health now answers 503", e);
        }
    }

    static ApiException shuttingDown() {
        return new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "server_error", null, "shutting_down",
                "the server is shutting down");
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Whether the engine thread is still there (loading or serving); false once it has ended for any reason. */
    public boolean alive() {
        return thread.isAlive();
    }

    /** Where the generation routes run: parsing, validation, tokenization; refuses with 429 beyond its queue. */
    Executor validation() {
        return validation;
    }

    public String modelId() {
        return modelId;
    }

    long created() {
        return created;
    }

    /** The layers whose exits have adapters, once the model is loaded (empty before, and for a model without). */
    int[] exitAdapterLayers() {
        return ready() ? model.join().transformer().exitAdapters().map(dev.offramp.model.ExitAdapters::layers)
                .orElse(new int[0]) : new int[0];
    }

    ChatTemplate chatTemplate() {
        return chat;
    }

    Metrics metrics() {
        return metrics;
    }

    /** Loaded and taking work: false while loading, after a failed load and from the start of a drain. */
    public boolean ready() {
        return !draining && model.isDone() && !model.isCompletedExceptionally();
    }

    /** Refuses new work (503) from now on; what was accepted runs to its end. */
    void drain() {
        draining = true;
    }

    boolean draining() {
        return draining;
    }

    /** Nothing accepted is running or waiting. */
    boolean idle() {
        return admitted.get() == 0;
    }

    /** Waits for the model; rethrows its load failure. */
    public LoadedModel awaitLoaded() {
        return model.join();
    }

    /** 404 unless {@code requested} is absent or this engine's model id. */
    void checkModel(String requested) {
        if (requested != null && !requested.equals(modelId)) {
            throw ApiException.notFound("model", "model_not_found",
                    "model: expected " + modelId + ", found " + requested);
        }
    }

    /**
     * Checks a job against the model and tokenizes its prompt, on the caller's thread (the validation pool; it waits
     * for a model still loading), then accepts it (it runs when it joins the batch) or refuses it: 503 if the model
     * failed or the engine is down, 429 when full.
     */
    void submit(Job job) {
        if (draining) {
            throw shuttingDown();
        }
        if (model.isCompletedExceptionally() || closing || !alive()) {
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "server_error", null, "model_unavailable",
                    "model " + modelId + (closing ? " is shutting down" : model.isCompletedExceptionally()
                            ? " failed to load" : " is not running"));
        }
        job.prepared = Generation.prepare(awaitLoaded(), job.knobs, defaultMode, cascade, policies);
        int accepted = admitted.incrementAndGet();
        if (draining) {
            // Checked again once counted: a drain that began meanwhile may already have seen the engine idle.
            admitted.decrementAndGet();
            throw shuttingDown();
        }
        if (accepted > limits.maxRunning() + limits.maxWaiting()) {
            admitted.decrementAndGet();
            metrics.rejected("queue_full");
            throw ApiException.overloaded(limits.maxRunning(), limits.maxWaiting());
        }
        metrics.waiting.incrementAndGet();
        waiting.add(job);
    }

    @Override
    public void close() {
        closing = true;
        validation.shutdown();  // what it still holds runs and is refused with a 503
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metrics.close();
    }
}
