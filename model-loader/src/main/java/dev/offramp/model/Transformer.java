package dev.offramp.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.offramp.model.io.TensorSource;
import java.util.List;

/**
 * A decoder-only transformer that runs one layer at a time, so that a token can leave after any layer. Weights are
 * shared and read-only; each {@link Sequence} owns its KV cache; each {@link Step} owns the arrays of one forward
 * step. Layers are numbered from 1 (ARCHITECTURE.md): the exit after layer k is {@code lmHead(finalNorm(h_k))}.
 */
public final class Transformer implements AutoCloseable {
    private final ModelConfig config;
    private final NDManager manager;
    final Weights weights;
    final NDArray ropeCos;     // [context, headDim], null without RoPE
    final NDArray ropeSin;     // [context, headDim]
    final float[] ropeCosTable; // the same tables in Java, for FewTokens
    final float[] ropeSinTable;
    final boolean fewTokenPath; // a step of a few tokens runs FewTokens (CPU, LLAMA family, no biases)
    final NDArray rotateHalf;  // [headDim, headDim]: x @ R == cat(-x2, x1)
    final NDArray rotateHalf16; // the same in float16, for a float16 q|k (exact: one ±1 per column)
    final NDArray normOnes;    // [hidden] LayerNorm's identity affine (its gain and bias are folded away)
    final NDArray normZeros;   // [hidden]
    final NDArray one;         // [1] constants of GPT-2's gelu_new: a scalar operand would cost a tensor per use
    final NDArray half;
    final NDArray geluCubic;   // 0.044715
    final NDArray geluScale;   // sqrt(2 / pi)
    final Kernels kernels;
    final AdaptedExits exits;   // the exit adapters, or null: plain exits
    private final java.util.concurrent.ConcurrentLinkedDeque<FewTokens> spareFewTokens =
            new java.util.concurrent.ConcurrentLinkedDeque<>();

    private Transformer(ModelConfig config, TensorSource source, Device device, KernelSetup setup,
                        ExitAdapters adapters) {
        this.config = config;
        this.manager = NDManager.newBaseManager(device);
        try {
            this.weights = new Weights(config, source, manager);
            boolean rope = config.family() == ModelConfig.Family.LLAMA;
            this.fewTokenPath = rope && "cpu".equals(manager.getDevice().getDeviceType())
                    && weights.matrices().stream().noneMatch(Matrix::hasBias);
            this.kernels = new Kernels(setup.plan(weights, manager, fewTokenPath), setup.threads());
            this.ropeCosTable = rope ? ropeTable(true) : null;
            this.ropeSinTable = rope ? ropeTable(false) : null;
            Shape table = new Shape(config.contextLength(), config.headDim());
            this.ropeCos = rope ? manager.create(ropeCosTable, table) : null;
            this.ropeSin = rope ? manager.create(ropeSinTable, table) : null;
            this.rotateHalf = rope ? rotateHalfMatrix() : null;
            this.rotateHalf16 = rope ? rotateHalf.toType(ai.djl.ndarray.types.DataType.FLOAT16, true) : null;
            this.normOnes = manager.ones(new Shape(config.hidden()));
            this.normZeros = manager.zeros(new Shape(config.hidden()));
            this.one = manager.create(new float[] {1f});
            this.half = manager.create(new float[] {0.5f});
            this.geluCubic = manager.create(new float[] {0.044715f});
            this.geluScale = manager.create(new float[] {(float) Math.sqrt(2.0 / Math.PI)});
            this.exits = adapters == null ? null : new AdaptedExits(adapters, config, weights.embedWidth(), manager);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** {@code adapters}: the exit adapters applied wherever their layers' exits are read, or null for none. */
    static Transformer load(ModelConfig config, TensorSource source, Device device, KernelSetup setup,
                            ExitAdapters adapters) {
        return new Transformer(config, source, device, setup, adapters);
    }

    /** The exit adapters this model applies, if any. */
    public java.util.Optional<ExitAdapters> exitAdapters() {
        return java.util.Optional.ofNullable(exits).map(AdaptedExits::adapters);
    }

    /** Layer {@code layer}'s exit adapter, or null. */
    ExitAdapter adapter(int layer) {
        return exits == null ? null : exits.at(layer);
    }

    /** Which kernel computes each matrix product, as planned (or pinned) at load. */
    public KernelPlan kernelPlan() {
        return kernels.plan;
    }

    /** Bytes of weights held for the matrix products, in every form the plan keeps. */
    public long matrixBytes() {
        return weights.matrices().stream().mapToLong(Matrix::bytes).sum();
    }

    /**
     * µs of one pass over the model's matrix products of the given kinds (every layer's, in a token's order) at
     * {@code rows} rows with the plan's kernels, best of {@code repeats}: the matrix share of a step, for bench.
     */
    public double matrixMicros(java.util.Set<Product> products, int rows, int repeats) {
        List<Matrix> chosen = weights.matrices().stream().filter(m -> products.contains(m.product)).toList();
        return KernelPlanner.passMicros(chosen, weights.embedWidth(), kernels, rows, repeats, manager);
    }

    public ModelConfig config() {
        return config;
    }

    private long steps;

    /** A new, empty sequence with its KV cache preallocated to the context length. */
    public Sequence newSequence() {
        return new Sequence(manager, config);
    }

    /** Starts a forward step: the tokens are embedded and appended to their sequences. */
    public Step step(List<StepInput> inputs) {
        return step(List.of(), inputs);
    }

    /**
     * Starts a forward step whose first rows are {@code carried} (rows that left earlier steps before the last
     * layer, in position order), followed by one row per input.
     */
    public Step step(List<PendingRow> carried, List<StepInput> inputs) {
        steps++;
        return new Step(this, manager.newSubManager(), carried, inputs);
    }

    /**
     * Forward steps started on this model, on its engine thread (a batch starts one per iteration): what a test
     * counts to see that nothing else runs between a batch's steps.
     */
    public long steps() {
        return steps;
    }

    NDManager manager() {
        return manager;
    }

    NDManager newRowManager() {
        return manager.newSubManager();
    }

    public Step step(Sequence sequence, int... tokens) {
        return step(List.of(new StepInput(sequence, tokens)));
    }

    /** Live native arrays under this model (weights, caches, steps): a leak shows as growth. */
    public int liveArrays() {
        return manager.getManagedArrays().size();
    }

    /** cos/sin of position × inverse frequency, in float32 as transformers and llama2.c compute them. */
    private float[] ropeTable(boolean cos) {
        int hd = config.headDim();
        int half = hd / 2;
        float[] table = new float[config.contextLength() * hd];
        for (int pos = 0; pos < config.contextLength(); pos++) {
            for (int j = 0; j < half; j++) {
                float invFreq = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * j) / hd));
                float angle = pos * invFreq;
                float value = (float) (cos ? Math.cos(angle) : Math.sin(angle));
                table[pos * hd + j] = value;
                table[pos * hd + j + half] = value;
            }
        }
        return table;
    }

    private NDArray rotateHalfMatrix() {
        int hd = config.headDim();
        int half = hd / 2;
        float[] r = new float[hd * hd];  // row = input dim, column = output dim
        for (int j = 0; j < half; j++) {
            r[(j + half) * hd + j] = -1f;  // out[j] = -x[j + half]
            r[j * hd + j + half] = 1f;     // out[j + half] = x[j]
        }
        return manager.create(r, new Shape(hd, hd));
    }

    /**
     * A {@link FewTokens} for a step to use until it closes: made once per concurrent step and reused, since its
     * direct buffers (tens of KiB) made per step would be freed only by a GC, and its tensors over them per step cost
     * JNI calls.
     */
    FewTokens borrowFewTokens() {
        FewTokens f = spareFewTokens.poll();
        return f != null ? f : new FewTokens(this);
    }

    void giveBack(FewTokens f) {
        spareFewTokens.push(f);
    }

    @Override
    public void close() {
        for (FewTokens f; (f = spareFewTokens.poll()) != null; ) {
            f.close();
        }
        manager.close();
    }
}
