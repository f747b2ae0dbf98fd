package dev.offramp.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.offramp.model.io.HostTensor;
import dev.offramp.model.io.SafetensorsFile;
import dev.offramp.model.io.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Trains exit adapters ({@link ExitAdapter}) by self-distillation: each adapted layer's exit learns the model's own
 * last-layer distribution, KL(p_L || q_k), with the base weights frozen. One teacher-forced pass of the engine
 * computes every layer's hidden state for the text (in windows, as eval does); training then needs only those and the
 * LM head: per step a minibatch of positions, the students' forward pass under DJL's autograd (PyTorch engine), the
 * gradients read back, and Adam in Java over the few thousand parameters. Everything a step allocates lives in its
 * own manager; the parameters and Adam's moments are Java arrays, so nothing native outlives a step.
 *
 * <p>The student's math is the engine's exit: for LLAMA, finalNorm is x / sqrt(sum(x²) + hidden·eps) against the
 * head with the norm's gain and sqrt(hidden) folded in (see {@link Weights}); for GPT-2, LayerNorm without its affine
 * part and the head's folded bias.
 */
public final class ExitTrainer implements AutoCloseable {
    /** Positions of a teacher-forced window (a fresh sequence each), as eval's teacher forcing uses. */
    public static final int WINDOW = 256;

    /** What to train and how. {@code layers} 1-based, each below the last. */
    public record Options(int[] layers, int rank, int steps, int batch, double learningRate, long seed) {
        public Options {
            layers = layers.clone();
            if (rank < 0) {
                throw new IllegalArgumentException("--rank: expected an integer >= 0, found " + rank);
            }
            if (steps < 1) {
                throw new IllegalArgumentException("--steps: expected an integer >= 1, found " + steps);
            }
            if (batch < 1) {
                throw new IllegalArgumentException("--batch: expected an integer >= 1, found " + batch);
            }
            if (!(learningRate > 0)) {
                throw new IllegalArgumentException("--learning-rate: expected a number > 0, found " + learningRate);
            }
        }

        @Override
        public int[] layers() {
            return layers.clone();
        }
    }

    /** One layer's exit on held-out positions: top-1 agreement with the last layer, cross-entropy, KL from L. */
    public record LayerQuality(int layer, double agreement, double crossEntropy, double kl) {}

    /**
     * One adapted layer on the validation slice, position by position against the base model's exit: how many
     * positions only the adapted exit gets right (its argmax is the last layer's) and how many only the base exit does.
     */
    public record Paired(int layer, long gained, long lost) {}

    /** Every layer's exit quality (the last layer's too, agreement 1), plus how many positions were scored. */
    public record Quality(long positions, List<LayerQuality> layers) {}

    private final ModelConfig c;
    private final Options o;
    private final int hidden;
    private final boolean gpt2;
    private final NDManager manager;
    private final NDArray headT;     // [hidden, vocab] float32, norm gain (and sqrt(hidden)) folded in
    private final NDArray headBias;  // [vocab] (GPT-2), else null
    private final Corpus train;
    private final Corpus heldOut;
    private final Corpus validation;  // positions cut from the training text and not trained on, or null
    private final float[][] params;  // per adapted layer: gain [h], down [r*h], up [h*r], concatenated
    private final float[][] m;
    private final float[][] v;
    private int step;

    /** The engine's hidden states for a text: per layer 1..L, [positions, hidden]; the next ids as targets. */
    private record Corpus(NDArray[] hidden, int[] targets, int positions) {}

    /**
     * Runs the teacher-forced passes over {@code trainIds} and {@code heldOutIds} (ids of one stream each) and sets
     * the adapters to identity (gain 1, up 0, down small and random from the seed).
     *
     * @throws IllegalArgumentException when the text is too small for the capacity asked for, or a layer is invalid
     */
    public ExitTrainer(Transformer model, int[] trainIds, int[] heldOutIds, Options options) {
        this(model, trainIds, null, heldOutIds, options);
    }

    /**
     * As {@link #ExitTrainer(Transformer, int[], int[], Options)}, with a validation slice ({@code validationIds},
     * kept out of training; null for none) that {@link #validationQuality} scores, to choose which layers keep
     * their adapters without looking at the held-out text.
     */
    public ExitTrainer(Transformer model, int[] trainIds, int[] validationIds, int[] heldOutIds, Options options) {
        this.c = model.config();
        this.o = options;
        this.hidden = c.hidden();
        this.gpt2 = c.family() == ModelConfig.Family.GPT2;
        for (int l : options.layers()) {
            if (l < 1 || l >= c.layers()) {
                throw new IllegalArgumentException("--layers: expected layers 1.." + (c.layers() - 1)
                        + " (the last layer's exit is the output, the teacher), found " + l);
            }
        }
        if (options.layers().length == 0) {
            throw new IllegalArgumentException("--layers: expected at least one layer");
        }
        long needed = 2L * parametersPerLayer(hidden, options.rank());
        if (trainIds.length - 1 < needed) {
            throw new IllegalArgumentException("--text: " + (trainIds.length - 1) + " training positions are too few"
                    + " for rank " + options.rank() + " adapters of " + parametersPerLayer(hidden, options.rank())
                    + " parameters per layer: expected at least " + needed + " (twice the parameters); give more"
                    + " text or a smaller --rank");
        }
        if (heldOutIds.length < 2) {
            throw new IllegalArgumentException("--held-out: expected held-out text of at least 2 tokens, found "
                    + heldOutIds.length);
        }
        this.manager = model.manager().newSubManager();
        try {
            Matrix lm = model.weights.lmHead;
            try (NDManager scratch = manager.newSubManager()) {
                NDArray full = lm.float32(scratch);  // [vocab, width]
                NDArray head = model.weights.rmsColumn ? full.get(new NDIndex(":, 0:" + hidden)) : full;
                this.headT = head.transpose().duplicate();  // contiguous [hidden, vocab]
                headT.attach(manager);
            }
            this.headBias = lm.bias32(manager);
            this.train = corpus(model, trainIds);
            this.heldOut = corpus(model, heldOutIds);
            this.validation = validationIds == null || validationIds.length < 2 ? null : corpus(model, validationIds);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        Random init = new Random(options.seed());
        int r = options.rank();
        int n = options.layers().length;
        this.params = new float[n][hidden * (1 + 2 * r)];
        this.m = new float[n][params[0].length];
        this.v = new float[n][params[0].length];
        for (float[] p : params) {
            Arrays.fill(p, 0, hidden, 1f);
            for (int i = hidden; i < hidden + r * hidden; i++) {
                p[i] = (float) (init.nextGaussian() / Math.sqrt(hidden));
            }
        }
    }

    /** Trainable parameters of one layer's adapter: gain, down and up. */
    public static long parametersPerLayer(int hidden, int rank) {
        return (long) hidden * (1 + 2L * rank);
    }

    public int trainPositions() {
        return train.positions();
    }

    public int heldOutPositions() {
        return heldOut.positions();
    }

    /** Steps taken so far (a resumed run counts its checkpoint's). */
    public int stepsDone() {
        return step;
    }

    /** One Adam step on a minibatch drawn from the seed and the step number alone; returns the mean KL per layer. */
    public double step() {
        Random pick = new Random(o.seed() * 1_000_003L + step);
        long[] idx = new long[Math.min(o.batch(), train.positions())];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = pick.nextInt(train.positions());
        }
        double loss;
        float[][] grads = new float[params.length][];
        try (NDManager s = manager.newSubManager()) {
            NDArray index = s.create(idx);
            NDArray teacher = logits(rows(train, c.layers(), index, s), null).logSoftmax(1);
            NDArray[][] p = new NDArray[params.length][];
            for (int k = 0; k < params.length; k++) {
                p[k] = arrays(params[k], s);
                for (NDArray a : p[k]) {
                    a.setRequiresGradient(true);
                }
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray total = null;
                for (int k = 0; k < params.length; k++) {
                    NDArray h = rows(train, o.layers()[k], index, s);
                    NDArray kl = kl(teacher, logits(h, p[k]).logSoftmax(1));
                    total = total == null ? kl : total.add(kl);
                }
                gc.backward(total);
                loss = total.getFloat() / params.length;
            }
            for (int k = 0; k < params.length; k++) {
                grads[k] = new float[params[k].length];
                int at = 0;
                for (NDArray a : p[k]) {
                    NDArray g = a.getGradient();
                    g.attach(s);
                    float[] gf = g.toFloatArray();
                    System.arraycopy(gf, 0, grads[k], at, gf.length);
                    at += gf.length;
                }
            }
        }
        step++;
        adam(grads);
        return loss;
    }

    /**
     * Adam (Kingma and Ba 2015) with bias correction and a cosine decay of the step size over the run (the minibatch
     * noise otherwise keeps the loss from settling); the moments live in Java beside the parameters.
     */
    private void adam(float[][] grads) {
        double lr = o.learningRate() * 0.5 * (1 + Math.cos(Math.PI * (step - 1) / o.steps()));
        double b1 = 0.9;
        double b2 = 0.999;
        double c1 = 1 - Math.pow(b1, step);
        double c2 = 1 - Math.pow(b2, step);
        for (int k = 0; k < params.length; k++) {
            for (int i = 0; i < params[k].length; i++) {
                double g = grads[k][i];
                m[k][i] = (float) (b1 * m[k][i] + (1 - b1) * g);
                v[k][i] = (float) (b2 * v[k][i] + (1 - b2) * g * g);
                params[k][i] -= (float) (lr * (m[k][i] / c1) / (Math.sqrt(v[k][i] / c2) + 1e-8));
            }
        }
    }

    /**
     * Every layer's exit on the held-out positions (at most {@code most}, the first ones), with the adapters as
     * they are now ({@code adapted}) or without any (the base model's exits).
     */
    public Quality quality(boolean adapted, int most) {
        return quality(heldOut, adapted, most);
    }

    /** As {@link #quality}, on the validation slice; throws when there is none. */
    public Quality validationQuality(boolean adapted, int most) {
        return quality(validation(), adapted, most);
    }

    /** {@link Paired} counts for every adapted layer over the whole validation slice; throws when there is none. */
    public List<Paired> validationPairs() {
        Corpus slice = validation();
        int[] trained = o.layers();
        long[] gained = new long[trained.length];
        long[] lost = new long[trained.length];
        int n = slice.positions();
        for (int from = 0; from < n; from += 512) {
            int to = Math.min(n, from + 512);
            try (NDManager s = manager.newSubManager()) {
                NDArray index = s.arange(from, to).toType(ai.djl.ndarray.types.DataType.INT64, false);
                NDArray top = logits(rows(slice, c.layers(), index, s), null).argMax(1);
                for (int k = 0; k < trained.length; k++) {
                    NDArray h = rows(slice, trained[k], index, s);
                    NDArray base = logits(h, null).argMax(1).eq(top);
                    NDArray adapted = logits(h, arrays(params[k], s)).argMax(1).eq(top);
                    gained[k] += count(adapted.logicalAnd(base.logicalNot()));
                    lost[k] += count(base.logicalAnd(adapted.logicalNot()));
                }
            }
        }
        List<Paired> out = new ArrayList<>();
        for (int k = 0; k < trained.length; k++) {
            out.add(new Paired(trained[k], gained[k], lost[k]));
        }
        return out;
    }

    private Corpus validation() {
        if (validation == null) {
            throw new IllegalStateException("train-exits: no validation slice was cut");
        }
        return validation;
    }

    private static long count(NDArray mask) {
        return mask.toType(ai.djl.ndarray.types.DataType.INT64, false).sum().getLong();
    }

    private Quality quality(Corpus text, boolean adapted, int most) {
        int n = Math.min(most, text.positions());
        int[] trained = o.layers();
        double[] agree = new double[c.layers() + 1];
        double[] ce = new double[c.layers() + 1];
        double[] kl = new double[c.layers() + 1];
        int chunk = 512;
        for (int from = 0; from < n; from += chunk) {
            int to = Math.min(n, from + chunk);
            try (NDManager s = manager.newSubManager()) {
                NDArray index = s.arange(from, to).toType(ai.djl.ndarray.types.DataType.INT64, false);
                NDArray targets = s.create(Arrays.stream(text.targets(), from, to).asLongStream().toArray())
                        .reshape(-1, 1);
                NDArray teacher = logits(rows(text, c.layers(), index, s), null).logSoftmax(1);
                NDArray top = teacher.argMax(1);
                for (int l = 1; l <= c.layers(); l++) {
                    int k = adapted ? indexOf(trained, l) : -1;
                    NDArray q = l == c.layers() ? teacher
                            : logits(rows(text, l, index, s), k < 0 ? null : arrays(params[k], s)).logSoftmax(1);
                    agree[l] += q.argMax(1).eq(top).sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                            .getDouble();
                    ce[l] -= q.gather(targets, 1).sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                            .getDouble();
                    kl[l] += kl(teacher, q).getFloat() * (to - from);
                }
            }
        }
        List<LayerQuality> out = new ArrayList<>();
        for (int l = 1; l <= c.layers(); l++) {
            out.add(new LayerQuality(l, agree[l] / n, ce[l] / n, kl[l] / n));
        }
        return new Quality(n, out);
    }

    /** The adapters as trained so far. */
    public ExitAdapters adapters() {
        List<ExitAdapter> out = new ArrayList<>();
        int r = o.rank();
        for (int k = 0; k < params.length; k++) {
            float[] p = params[k];
            out.add(new ExitAdapter(o.layers()[k], r, Arrays.copyOfRange(p, 0, hidden),
                    Arrays.copyOfRange(p, hidden, hidden + r * hidden),
                    Arrays.copyOfRange(p, hidden + r * hidden, p.length)));
        }
        return new ExitAdapters(out);
    }

    /** Writes the parameters, Adam's moments and the step count, so that {@link #resume} continues exactly. */
    public void checkpoint(Path file) {
        List<HostTensor> t = new ArrayList<>();
        for (int k = 0; k < params.length; k++) {
            String name = "layers." + o.layers()[k];
            t.add(HostTensor.of(name + ".params", new long[] {params[k].length}, params[k]));
            t.add(HostTensor.of(name + ".adam_m", new long[] {m[k].length}, m[k]));
            t.add(HostTensor.of(name + ".adam_v", new long[] {v[k].length}, v[k]));
        }
        t.add(HostTensor.of("step", new long[] {1}, new float[] {step}));
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            SafetensorsWriter.write(tmp, t);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write the checkpoint: " + e.getMessage(), e);
        }
    }

    /** Continues from a {@link #checkpoint} of a run with the same options. */
    public void resume(Path file) {
        SafetensorsFile f = SafetensorsFile.open(file);
        for (int k = 0; k < params.length; k++) {
            String name = "layers." + o.layers()[k];
            float[][] into = {params[k], m[k], v[k]};
            String[] parts = {".params", ".adam_m", ".adam_v"};
            for (int i = 0; i < 3; i++) {
                if (!f.names().contains(name + parts[i])) {
                    throw new ModelLoadException(file + ": expected " + name + parts[i] + " (a checkpoint of the same"
                            + " --layers), found none");
                }
                float[] stored = f.tensor(name + parts[i]).toFloatArray();
                if (stored.length != into[i].length) {
                    throw new ModelLoadException(file + ": " + name + parts[i] + ": expected " + into[i].length
                            + " values (the same --rank), found " + stored.length);
                }
                System.arraycopy(stored, 0, into[i], 0, stored.length);
            }
        }
        step = (int) f.tensor("step").toFloatArray()[0];
    }

    /** The engine's hidden states for {@code ids}, teacher-forced in windows; position t's target is ids[t + 1]. */
    private Corpus corpus(Transformer model, int[] ids) {
        int window = Math.min(WINDOW, c.contextLength());
        int positions = ids.length - 1;
        float[][] h = new float[c.layers() + 1][(int) Math.min(Integer.MAX_VALUE, (long) positions * hidden)];
        for (int start = 0; start < positions; start += window) {
            int end = Math.min(start + window, positions);
            int from = start;
            ForcedPass.run(model, Arrays.copyOfRange(ids, start, end), c.layers(), layer -> {
                if (layer.layer() > 0) {
                    System.arraycopy(layer.hidden(), 0, h[layer.layer()], from * hidden, layer.hidden().length);
                }
            });
        }
        NDArray[] arrays = new NDArray[c.layers() + 1];
        for (int l = 1; l <= c.layers(); l++) {
            arrays[l] = manager.create(h[l], new Shape(positions, hidden));
            h[l] = null;
        }
        return new Corpus(arrays, Arrays.copyOfRange(ids, 1, ids.length), positions);
    }

    private static NDArray rows(Corpus corpus, int layer, NDArray index, NDManager s) {
        return corpus.hidden()[layer].get(s, new NDIndex("{}", index));
    }

    /** gain, down [r, h], up [h, r] of one layer's flat parameters, as arrays of {@code s}. */
    private NDArray[] arrays(float[] p, NDManager s) {
        int r = o.rank();
        return new NDArray[] {
            s.create(Arrays.copyOfRange(p, 0, hidden), new Shape(hidden)),
            s.create(Arrays.copyOfRange(p, hidden, hidden + r * hidden), new Shape(r, hidden)),
            s.create(Arrays.copyOfRange(p, hidden + r * hidden, p.length), new Shape(hidden, r))};
    }

    /** The exit's logits for h [n, hidden] through an adapter (gain, down, up), or none (null). */
    private NDArray logits(NDArray h, NDArray[] adapter) {
        NDArray x = h;
        if (adapter != null && o.rank() > 0) {
            x = x.add(x.matMul(adapter[1].transpose()).matMul(adapter[2].transpose()));
        }
        NDArray n;
        if (gpt2) {
            NDArray centred = x.sub(x.mean(new int[] {1}, true));
            n = centred.div(centred.square().mean(new int[] {1}, true).add(c.normEps()).sqrt());
        } else {
            n = x.div(x.square().sum(new int[] {1}, true).add(hidden * c.normEps()).sqrt());
        }
        if (adapter != null) {
            n = n.mul(adapter[0]);
        }
        NDArray z = n.matMul(headT);
        return headBias == null ? z : z.add(headBias);
    }

    /** Mean over rows of KL(p || q), both given as log-probabilities [n, vocab]: a scalar. */
    private static NDArray kl(NDArray logP, NDArray logQ) {
        return logP.exp().mul(logP.sub(logQ)).sum(new int[] {1}).mean();
    }

    private static int indexOf(int[] a, int x) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == x) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        manager.close();
    }
}
