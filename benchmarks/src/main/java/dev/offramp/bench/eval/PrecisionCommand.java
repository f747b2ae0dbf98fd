package dev.offramp.bench.eval;

import dev.offramp.model.DjlRuntime;
import dev.offramp.model.KernelOptions;
import dev.offramp.model.LoadedModel;
import dev.offramp.model.Sequence;
import dev.offramp.model.Step;
import dev.offramp.model.Transformer;
import dev.offramp.model.cli.CliContext;
import dev.offramp.model.cli.Version;
import dev.offramp.model.engine.Sampler;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./offramp precision}: the model on kernels K against the reference kernels (float32, one thread) on held-out
 * text, teacher-forced one token per step (the decode path, so the one-row kernels are what is measured): per-token
 * greedy agreement at full depth, both perplexities and the largest logit difference relative to the largest logit.
 */
@Command(name = "precision", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {"Compares --kernels K with the float32 reference on held-out text.",
                       "Teacher-forced one token per step: greedy agreement, both perplexities and the largest "
                               + "logit difference relative to the largest logit."})
public final class PrecisionCommand implements Callable<Integer> {
    @Option(names = "--tokens", paramLabel = "N", description = "Held-out tokens compared (at least 2). "
            + "Default: ${DEFAULT-VALUE}.")
    private int tokens = 2000;

    @Mixin
    private HarnessOptions harness;


    public PrecisionCommand(CliContext context) {
        this.harness = new HarnessOptions(context, "all", 50, 64);
    }

    @Override
    public Integer call() {
        PrintStream out = harness.out();
        HarnessOptions.atLeast("--tokens", tokens, 2);
        // the session loads the model on --kernels and tokenizes the held-out text; the reference loads beside it
        try (EvalSession s = EvalSession.open(harness, harness.progress());
             LoadedModel ref = LoadedModel.open(harness.model().model(), harness.model().tokenizer(),
                     DjlRuntime.start(harness.model().threads()), harness.model().device(),
                     KernelOptions.reference())) {
            Result r = compare(ref.transformer(), s.model.transformer(), s.text.head(tokens + 1));
            out.printf(Locale.ROOT, "%s, --kernels %s against f32/linear/1t, %d held-out tokens (%s):%n",
                    ref.name(), harness.model().kernels().label(), r.positions, harness.text().getFileName());
            out.printf(Locale.ROOT, "greedy agreement %.4f, perplexity %.4f vs %.4f (delta %+.4f), max "
                    + "|logit diff| / max |logit| %.2e%n", r.agreement(), r.perplexity(true), r.perplexity(false),
                    r.perplexity(false) - r.perplexity(true), r.maxRelDiff);
            out.println(s.model.transformer().kernelPlan().table());
        }
        return 0;
    }

    private static final class Result {
        int positions;
        int agree;
        double nllRef;
        double nllCand;
        double maxRelDiff;

        double agreement() {
            return agree / (double) positions;
        }

        double perplexity(boolean reference) {
            return Math.exp((reference ? nllRef : nllCand) / positions);
        }
    }

    /** Feeds ids[0..n-1] one per step through both models, scoring each next id; a full context starts anew. */
    private static Result compare(Transformer ref, Transformer cand, int[] ids) {
        Result r = new Result();
        Sequence a = ref.newSequence();
        Sequence b = cand.newSequence();
        try {
            for (int i = 0; i + 1 < ids.length; i++) {
                if (a.length() == a.context()) {
                    a.crop(0);
                    b.crop(0);
                }
                float[] la = logits(ref, a, ids[i]);
                float[] lb = logits(cand, b, ids[i]);
                r.positions++;
                r.agree += Sampler.argmax(la) == Sampler.argmax(lb) ? 1 : 0;
                r.nllRef += nll(la, ids[i + 1]);
                r.nllCand += nll(lb, ids[i + 1]);
                double diff = 0;
                double max = 0;
                for (int v = 0; v < la.length; v++) {
                    diff = Math.max(diff, Math.abs(la[v] - lb[v]));
                    max = Math.max(max, Math.abs(la[v]));
                }
                r.maxRelDiff = Math.max(r.maxRelDiff, diff / max);
            }
        } finally {
            a.close();
            b.close();
        }
        return r;
    }

    private static float[] logits(Transformer tf, Sequence seq, int token) {
        try (Step step = tf.step(seq, token)) {
            for (int l = 1; l <= tf.config().layers(); l++) {
                step.runLayer(l);
            }
            return step.exitLogits()[0];
        }
    }

    private static double nll(float[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : logits) {
            sum += Math.exp(x - max);
        }
        return Math.log(sum) + max - logits[target];
    }
}
