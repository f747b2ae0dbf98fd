package dev.offramp.server.http;

import dev.offramp.model.LoadedModel;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The model and the one engine thread that runs it (one per device). The model loads on that thread when the engine
 * is made; requests queue behind it and run one at a time, never on the event loop.
 */
public final class Engine implements AutoCloseable {
    private final String modelId;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "offramp-engine");
        t.setDaemon(true);
        return t;
    });
    private final CompletableFuture<LoadedModel> model;
    private final long created = System.currentTimeMillis() / 1000;

    /** @param modelId the id clients name it by (its folder or file name) */
    public Engine(String modelId, Supplier<LoadedModel> loader) {
        this.modelId = modelId;
        this.model = CompletableFuture.supplyAsync(loader, thread);
    }

    public String modelId() {
        return modelId;
    }

    long created() {
        return created;
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

    /** Runs {@code work} on the engine thread with the loaded model. */
    <T> CompletableFuture<T> submit(Function<LoadedModel, T> work) {
        return CompletableFuture.supplyAsync(() -> work.apply(loaded()), thread);
    }

    private LoadedModel loaded() {
        if (model.isCompletedExceptionally()) {
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "server_error", null, "model_unavailable",
                    "model " + modelId + " failed to load");
        }
        return model.join();
    }

    @Override
    public void close() {
        thread.execute(() -> {
            if (ready()) {
                model.join().close();
            }
        });
        thread.shutdown();
        try {
            thread.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
