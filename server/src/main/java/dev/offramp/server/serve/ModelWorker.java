package dev.offramp.server.serve;

import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.Mode;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.PolicyRegistry;
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
 * One model and the engine thread that runs it (one per model and device): the model loads on that thread, then the
 * {@link Scheduler} batches every accepted job there. Requests are parsed, checked against the model and tokenized
 * before they reach it, on a small validation pool, so that nothing a request sends can stall or stop the engine
 * thread. Admission happens on that pool too: beyond the running and waiting limits a job is refused with 429.
 */
public final class ModelWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelWorker.class);
    /** Validation threads: tokenizing a large prompt takes a core for a while; two keep small requests moving. */
    private static final int VALIDATION_THREADS = 2;
    /**
     * Bodies over this many bytes are parsed and validated on a lane of their own, one thread: a flood of large
     * bodies (an ~880 KB prompt costs tens of ms to parse) then takes at most one core from the engine thread, and
     * small requests keep both of theirs.
     */
    public static final int LARGE_BODY_BYTES = 64 * 1024;

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
    private final ServedCascade cascade;
    private final PolicyRegistry policies;
    private final Limits limits;
    private final Metrics metrics;
    private final LinkedBlockingQueue<Job> waiting = new LinkedBlockingQueue<>();
    private final AtomicInteger admitted = new AtomicInteger();  // running + waiting
    private final CompletableFuture<LoadedModel> model = new CompletableFuture<>();
    private final Thread thread;
    private final ThreadPoolExecutor validation;
    private final ThreadPoolExecutor largeBodies;
    private final long created = System.currentTimeMillis() / 1000;
    private volatile boolean closing;
    private volatile boolean draining;   // no new work; what was accepted runs on

    /** @param modelId the id clients name it by (its folder or file name) */
    public ModelWorker(String modelId, Supplier<LoadedModel> loader) {
        this(modelId, loader, ChatTemplate.plain(), Limits.DEFAULT, ModeOptions.NONE, null);
    }

    /**
     * @param defaultMode what a request without an {@code early_exit} object runs (e.g. a calibration profile)
     * @param cascade     the cascade requests may choose ({@code early_exit.mode = cascade}), or null
     */
    public ModelWorker(String modelId, Supplier<LoadedModel> loader, ChatTemplate chat, Limits limits,
                  ModeOptions defaultMode, ServedCascade.Spec cascade) {
        this(modelId, loader, chat, limits, defaultMode, cascade, PolicyRegistry.standard());
    }

    /**
     * @param policies the policies requests' specs may name (built-in and plug-in), one registry for all
     * @param cascade  its members of other models get engines of their own here, with this one's limits, in this
     *                 one's metrics
     */
    public ModelWorker(String modelId, Supplier<LoadedModel> loader, ChatTemplate chat, Limits limits,
                  ModeOptions defaultMode, ServedCascade.Spec cascade, PolicyRegistry policies) {
        this(modelId, loader, chat, limits, defaultMode, cascade, policies, new Metrics(modelId));
    }

    private ModelWorker(String modelId, Supplier<LoadedModel> loader, ChatTemplate chat, Limits limits,
                   ModeOptions defaultMode, ServedCascade.Spec cascade, PolicyRegistry policies, Metrics metrics) {
        this.modelId = modelId;
        this.policies = policies;
        this.defaultMode = defaultMode;
        this.chat = chat;
        this.limits = limits;
        this.metrics = metrics;
        this.cascade = cascade == null ? null : ServedCascade.of(cascade, (id, load) -> new ModelWorker(id, load,
                ChatTemplate.plain(), limits, ModeOptions.NONE, null, policies, metrics.member(id)));
        if (this.cascade != null) {
            metrics.cascadeMembers(this.cascade.names());
        }
        this.validation = validationPool(VALIDATION_THREADS, "offramp-validate");
        this.largeBodies = validationPool(1, "offramp-validate-large");
        // Admitted jobs are running or waiting; the queue holds the waiting ones (one joining is counted running).
        metrics.occupancy(this::running, waiting::size);
        this.thread = new Thread(() -> run(loader), "offramp-engine-" + modelId);
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
        if (m.profile() != null) {
            metrics.profileEpsilon(m.profile().epsilon());
        }
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

    /** Bounded like admission: a request waiting for validation is one more the server has taken on. */
    private ThreadPoolExecutor validationPool(int threads, String name) {
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(limits.maxRunning() + limits.maxWaiting()), daemon(name),
                (task, pool) -> {
                    if (pool.isShutdown()) {
                        throw ServingException.shuttingDown();
                    }
                    metrics.rejected("queue_full");
                    throw ServingException.overloaded(limits.maxRunning(), limits.maxWaiting());
                });
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
    public Executor validation() {
        return validation;
    }

    /** Where a request with a body of {@code bodyBytes} is validated: large bodies one at a time, on their own lane. */
    public Executor validation(int bodyBytes) {
        return bodyBytes > LARGE_BODY_BYTES ? largeBodies : validation;
    }

    public String modelId() {
        return modelId;
    }

    public long created() {
        return created;
    }

    /** The policies requests may name: what {@code GET /v1/policies} lists. */
    public PolicyRegistry policies() {
        return policies;
    }

    /** The layers whose exits have adapters, once the model is loaded (empty before, and for a model without). */
    public int[] exitAdapterLayers() {
        return ready() ? model.join().transformer().exitAdapters().map(dev.offramp.model.ExitAdapters::layers)
                .orElse(new int[0]) : new int[0];
    }

    public ChatTemplate chatTemplate() {
        return chat;
    }

    public Metrics metrics() {
        return metrics;
    }

    /** Loaded and taking work: false while loading, after a failed load and from the start of a drain. */
    public boolean ready() {
        return !draining && model.isDone() && !model.isCompletedExceptionally()
                && (cascade == null || cascade.ready());
    }

    /** Refuses new work (503) from now on; what was accepted runs to its end. */
    public void drain() {
        draining = true;
    }

    public boolean draining() {
        return draining;
    }

    /** Accepted jobs not waiting: in the batch, or joining it. */
    public int running() {
        return Math.max(0, admitted.get() - waiting.size());
    }

    /** Nothing accepted is running or waiting. */
    public boolean idle() {
        return admitted.get() == 0 && (cascade == null || cascade.idle());
    }

    /** Waits for the model; rethrows its load failure. */
    public LoadedModel awaitLoaded() {
        return model.join();
    }

    /** Waits for the cascade's members to load and checks them against their models (nothing without a cascade). */
    public void checkCascade() {
        if (cascade != null) {
            cascade.check(this);
        }
    }

    /** 404 unless {@code requested} is absent or this engine's model id. */
    public void checkModel(String requested) {
        if (requested != null && !requested.equals(modelId)) {
            throw ServingException.notFound("model", "model_not_found",
                    "model: expected " + modelId + ", found " + requested);
        }
    }

    /**
     * Checks a job against the model and tokenizes its prompt, on the caller's thread (the validation pool; it waits
     * for a model still loading), then accepts it (it runs when it joins the batch) or refuses it: 503 if the model
     * failed or the engine is down, 429 when full.
     */
    public void submit(Job job) {
        if (draining) {
            throw ServingException.shuttingDown();
        }
        checkRunning();
        job.prepared = RequestPlan.prepare(awaitLoaded(), job.request, defaultMode, cascade != null, policies);
        if (job.prepared.cascade()) {
            cascade.submit(this, job);  // its members' jobs are admitted by their engines
            return;
        }
        admit(job, true);
    }

    /**
     * A cascade member's job: {@code job}'s request in the member's mode, tokenized by this engine's model, or for
     * the served model itself its prompt as the request was already tokenized and checked ({@code servedPrompt},
     * else null). Taken during a drain too: it belongs to a request accepted before.
     */
    void submitMember(Job job, Mode mode, boolean scored, int[] servedPrompt) {
        checkRunning();
        job.prepared = RequestPlan.member(awaitLoaded(), job.request, mode, scored, servedPrompt);
        admit(job, false);
    }

    private void checkRunning() {
        if (model.isCompletedExceptionally() || closing || !alive()) {
            throw ServingException.unavailable("model " + modelId + (closing ? " is shutting down"
                    : model.isCompletedExceptionally() ? " failed to load" : " is not running"));
        }
    }

    private void admit(Job job, boolean newWork) {
        int accepted = admitted.incrementAndGet();
        if (newWork && draining) {
            // Checked again once counted: a drain that began meanwhile may already have seen the engine idle.
            admitted.decrementAndGet();
            throw ServingException.shuttingDown();
        }
        if (accepted > limits.maxRunning() + limits.maxWaiting()) {
            admitted.decrementAndGet();
            metrics.rejected("queue_full");
            throw ServingException.overloaded(limits.maxRunning(), limits.maxWaiting());
        }
        waiting.add(job);
    }

    @Override
    public void close() {
        if (cascade != null) {
            cascade.engines().forEach(ModelWorker::close);  // their jobs end with 503 as this one's do
        }
        closing = true;
        validation.shutdown();  // what it still holds runs and is refused with a 503
        largeBodies.shutdown();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metrics.close();
    }
}
