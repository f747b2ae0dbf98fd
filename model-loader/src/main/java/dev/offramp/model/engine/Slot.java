package dev.offramp.model.engine;

import dev.offramp.model.ModelConfig;
import dev.offramp.model.Sequence;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * One request's place in a {@link Batch}: its sequence (KV cache), sampler and tokens so far. Everything but
 * {@link #cancel} belongs to the engine thread that steps the batch.
 */
public final class Slot {
    final GenerationRequest request;
    final Sequence seq;
    final Sampler sampler;
    final Tokens out;
    final Plan plan;
    private final boolean ownsSeq;
    private final long joined;
    private final LongSupplier nanoTime;
    private final int layers;
    private volatile boolean cancelRequested;
    private int depthCap;
    private boolean held;
    private GenerationResult result;

    Slot(GenerationRequest request, Sequence seq, boolean ownsSeq, Plan plan, TokenListener listener, ModelConfig c,
         LongSupplier nanoTime) {
        this.request = request;
        this.seq = seq;
        this.ownsSeq = ownsSeq;
        this.plan = plan;
        this.layers = c.layers();
        this.depthCap = c.layers();
        this.nanoTime = nanoTime;
        this.joined = nanoTime.getAsLong();
        this.sampler = new Sampler(request.temperature(), request.topP(), request.topK(),
                new SplittableRandom(request.seed()));
        this.out = new Tokens(request, c, listener, nanoTime);
    }

    /** Tokens generated so far. */
    public int generated() {
        return out.count();
    }

    /**
     * Asks the engine thread to stop this request at its next step and free its cache; what it generated until then
     * stays its {@link #result} (a caller may end a request early on purpose, at a deadline). Safe from any thread.
     */
    public void cancel() {
        cancelRequested = true;
    }

    boolean cancelRequested() {
        return cancelRequested;
    }

    /**
     * Caps how deep the next tokens may go (a latency budget): tokens of {@code full} and {@code early-exit} requests
     * exit at this layer at the latest (their K/V above it is filled as the mode does, or propagated for full).
     * Fixed plans ({@code static}, {@code skip}) and self-speculative requests keep their own depth.
     */
    public void capDepth(int layer) {
        if (layer < 1 || layer > layers) {
            throw new IllegalArgumentException("depth cap: expected 1.." + layers + ", found " + layer);
        }
        depthCap = layer;
    }

    int depthCap() {
        return depthCap;
    }

    /** Holds the request out of the next steps (its client is not reading) or lets it go on; its cache stays. */
    public void hold(boolean held) {
        this.held = held;
    }

    boolean held() {
        return held;
    }

    /** Positions in its KV cache. */
    public int cachedTokens() {
        return seq.length();
    }

    public boolean done() {
        return result != null;
    }

    /** What was generated; only once {@link #done}. */
    public GenerationResult result() {
        if (result == null) {
            throw new IllegalStateException("result: the request is still running");
        }
        return result;
    }

    /** Ends the request: frees what its plan holds and its cache (unless the caller lent the sequence). */
    void finish() {
        if (result != null) {
            return;
        }
        plan.close();
        if (ownsSeq) {
            seq.close();
        }
        result = out.result(request.promptIds(), joined, nanoTime.getAsLong());
    }

    /** The engine's clock. */
    long now() {
        return nanoTime.getAsLong();
    }
}
