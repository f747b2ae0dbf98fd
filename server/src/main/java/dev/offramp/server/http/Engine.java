package dev.offramp.server.http;

import dev.offramp.model.LoadedModel;
import dev.offramp.model.engine.ModeOptions;
import dev.offramp.policy.PolicyRegistry;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The model and the one engine thread that runs it (one per device): the model loads on that thread, then the
 * {@link Scheduler} batches every accepted job there. Admission happens here, on the caller's thread: beyond the
 * running and waiting limits a job is refused with 429 and never queued.
 */
public final class Engine implements AutoCloseable {
    /**
     * @param maxRunning      jobs in the batch at once
     * @param maxWaiting      jobs accepted beyond those, waiting to join
     * @param budgetMinLayer  the shallowest depth a latency budget may force; 0: a quarter of the model's layers
     * @param stallTimeout    how long a stream whose client stopped reading is held before it is cancelled
     */
    public record Limits(int maxRunning, int maxWaiting, int budgetMinLayer, Duration stallTimeout) {
        public static final Limits DEFAULT = new Limits(16, 64, 0, Duration.ofSeconds(30));

        public Limits {
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
    private final long created = System.currentTimeMillis() / 1000;
    private volatile boolean closing;

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
            new Scheduler(m, limits, defaultMode, cascade, policies, metrics, waiting, admitted::decrementAndGet,
                    System::nanoTime).run(() -> closing);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public String modelId() {
        return modelId;
    }

    long created() {
        return created;
    }

    ChatTemplate chatTemplate() {
        return chat;
    }

    Metrics metrics() {
        return metrics;
    }

    public boolean ready() {
        return model.isDone() && !model.isCompletedExceptionally();
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

    /** Accepts a job (it runs when it joins the batch) or refuses it: 503 if the model failed, 429 when full. */
    void submit(Job job) {
        if (model.isCompletedExceptionally() || closing) {
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "server_error", null, "model_unavailable",
                    "model " + modelId + (closing ? " is shutting down" : " failed to load"));
        }
        if (admitted.incrementAndGet() > limits.maxRunning() + limits.maxWaiting()) {
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
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metrics.close();
    }
}
